// Who holds which permissions and scopes. A source behind an interface, so a
// directory or database can replace the static one from the config.
import { fail, type Failure } from "../reason.ts";

export interface GrantSource {
  /** Permissions and scopes granted to a qualified username. */
  grantsOf(qualifiedUsername: string): { readonly permissions: readonly string[]; readonly scopes: ReadonlySet<string> };
}

export interface StaticGrant {
  /** A qualified username, or undefined when the grant is for a role. */
  readonly user?: string;
  readonly role?: string;
  readonly permissions: readonly string[];
  readonly scopes: readonly string[];
}

export interface StaticRole {
  readonly name: string;
  /** Qualified usernames. */
  readonly users: readonly string[];
}

export function staticGrantSource(grants: readonly StaticGrant[], roles: readonly StaticRole[]): GrantSource {
  const rolesOf = new Map<string, string[]>();
  for (const role of roles) for (const user of role.users) rolesOf.set(user, [...(rolesOf.get(user) ?? []), role.name]);
  const byUser = new Map<string, { permissions: string[]; scopes: Set<string> }>();
  const collect = (user: string) => {
    const mine = grants.filter((grant) => grant.user === user || (grant.role !== undefined && (rolesOf.get(user) ?? []).includes(grant.role)));
    return { permissions: mine.flatMap((grant) => grant.permissions), scopes: new Set(mine.flatMap((grant) => grant.scopes)) };
  };
  return {
    grantsOf(user) {
      let found = byUser.get(user);
      if (found === undefined) {
        found = collect(user);
        if (byUser.size < 100_000) byUser.set(user, found);
      }
      return found;
    },
  };
}

/** WSO2 permissions form a tree: holding /permission/admin covers everything below it. */
function covers(granted: string, required: string): boolean {
  const g = granted.replace(/\/+$/, "");
  return required === g || required.startsWith(g + "/");
}

/**
 * Every required permission and scope must be held; the permission "none" needs
 * nothing (WSO2). `user` undefined: a client with no user holds nothing.
 */
export function checkGrants(
  required: { permissions: readonly string[]; scopes: readonly string[] },
  user: string | undefined,
  source: GrantSource | undefined,
): Failure | undefined {
  const permissions = required.permissions.filter((permission) => permission.toLowerCase() !== "none");
  if (permissions.length === 0 && required.scopes.length === 0) return undefined;
  if (user === undefined) return fail("ACCESS_DENIED", "the resource needs permissions or scopes, and the client names no user");
  if (source === undefined) return fail("ACCESS_DENIED", "no grant source configured");
  const held = source.grantsOf(user);
  const missingPermission = permissions.find((permission) => !held.permissions.some((granted) => covers(granted, permission)));
  if (missingPermission !== undefined) return fail("ACCESS_DENIED", `${user} lacks permission ${missingPermission}`);
  const missingScope = required.scopes.find((scope) => !held.scopes.has(scope));
  if (missingScope !== undefined) return fail("ACCESS_DENIED", `${user} lacks scope ${missingScope}`);
  return undefined;
}
