// Cross-tenant access: WSO2 serves tenant resources under /t/{tenant}/ (and
// organisations under /o/{org}/); a principal of another tenant may reach them only
// where the rule allows cross-tenant access.
import { fail, type Failure } from "../reason.ts";
import type { ResourceRule } from "./resource-rules.ts";

/** The tenant (or organisation) a path names, lower-cased; undefined when none. */
export function tenantOfPath(segments: readonly string[]): string | undefined {
  const [marker, tenant] = segments;
  return (marker === "t" || marker === "o") && tenant !== undefined ? tenant.toLowerCase() : undefined;
}

/** `principalTenant` undefined: the client names no user, so it belongs to no tenant. */
export function checkCrossTenant(segments: readonly string[], principalTenant: string | undefined, rule: ResourceRule): Failure | undefined {
  const pathTenant = tenantOfPath(segments);
  if (pathTenant === undefined || pathTenant === principalTenant) return undefined;
  const allowed =
    rule.crossTenant &&
    (rule.crossAccessAllowedTenants.length === 0 || (principalTenant !== undefined && rule.crossAccessAllowedTenants.includes(principalTenant)));
  if (allowed) return undefined;
  const who = principalTenant === undefined ? "a client with no user" : `a user of ${principalTenant}`;
  return fail("CROSS_TENANT_DENIED", `${who} may not reach tenant ${pathTenant} under rule "${rule.context}"`);
}
