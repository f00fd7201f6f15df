// CN -> principal, as WSO2 Identity Server reads a username: an optional user
// store domain before "/", an optional tenant domain after "@".
import { fail, type Failure } from "../reason.ts";

export const PRIMARY_USER_STORE = "PRIMARY";
export const SUPER_TENANT = "carbon.super";

export interface Principal {
  readonly username: string;
  /** Upper case, as WSO2 stores it. */
  readonly userStoreDomain: string;
  /** Lower case. */
  readonly tenantDomain: string;
  /** "SECONDARY/john@tenant.com"; PRIMARY and the super tenant are left implicit. */
  readonly qualifiedUsername: string;
}

export interface PrincipalOptions {
  /** WSO2 [tenant] email_username: a single "@" belongs to the username. */
  readonly emailUsername: boolean;
}

export type PrincipalResult = { readonly ok: true; readonly principal: Principal } | Failure;

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const USER_STORE = /^[A-Za-z0-9._-]+$/;
const TENANT = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/;

function invalid(name: string, why: string, certIndex: number): Failure {
  return fail("INVALID_USERNAME", `username ${JSON.stringify(name)} ${why}`, certIndex);
}

/** Splits "user@tenant" under the email_username rule; undefined when malformed. */
function splitTenant(rest: string, emailUsername: boolean): { username: string; tenant: string } | undefined {
  const parts = rest.split("@");
  const maxAts = emailUsername ? 2 : 1;
  if (parts.length - 1 > maxAts || parts.some((part) => part === "")) return undefined;
  if (parts.length === 1 || (emailUsername && parts.length === 2)) return { username: rest, tenant: SUPER_TENANT };
  const at = rest.lastIndexOf("@");
  return { username: rest.slice(0, at), tenant: rest.slice(at + 1).toLowerCase() };
}

function qualify(username: string, userStoreDomain: string, tenantDomain: string): string {
  const domain = userStoreDomain === PRIMARY_USER_STORE ? "" : `${userStoreDomain}/`;
  // An email username in the super tenant needs the tenant spelled out, or it would read as user@tenant.
  const tenant = tenantDomain !== SUPER_TENANT ? `@${tenantDomain}` : username.includes("@") ? `@${SUPER_TENANT}` : "";
  return domain + username + tenant;
}

/** `certIndex`: 0 when the name came from the leaf's CN, -1 when from a header. */
export function principalFromName(name: string, options: PrincipalOptions, certIndex = -1): PrincipalResult {
  if (CONTROL.test(name)) return invalid(name, "contains a control character", certIndex);
  if (name.trim() !== name) return invalid(name, "has leading or trailing white space", certIndex);
  const slashes = name.split("/");
  if (slashes.length > 2) return invalid(name, "has more than one user store separator /", certIndex);
  const [domainPart, restPart] = slashes.length === 2 ? slashes : [PRIMARY_USER_STORE, slashes[0]];
  if (domainPart === undefined || restPart === undefined || !USER_STORE.test(domainPart)) {
    return invalid(name, "has an empty or invalid user store domain", certIndex);
  }
  const split = splitTenant(restPart, options.emailUsername);
  if (split === undefined) return invalid(name, "has an empty part around @ or too many @", certIndex);
  if (!TENANT.test(split.tenant)) return invalid(name, "has an invalid tenant domain", certIndex);
  const userStoreDomain = domainPart.toUpperCase();
  return {
    ok: true,
    principal: {
      username: split.username,
      userStoreDomain,
      tenantDomain: split.tenant,
      qualifiedUsername: qualify(split.username, userStoreDomain, split.tenant),
    },
  };
}

/** The leaf subject's CN as a principal: exactly one, non-empty CN (WSO2 would silently pick one). */
export function principalFromCommonNames(commonNames: readonly string[], options: PrincipalOptions): PrincipalResult {
  if (commonNames.length > 1) return fail("AMBIGUOUS_CN", `subject has ${commonNames.length} CN attributes`, 0);
  const cn = commonNames[0] ?? "";
  if (cn.trim() === "") return fail("EMPTY_CN", "subject has no CN or an empty one", 0);
  return principalFromName(cn, options, 0);
}
