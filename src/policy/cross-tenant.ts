// Cross-tenant access, as WSO2's AuthorizationValve decides it: the tenant a request
// path belongs to is the one after its first /t/ (Utils.getTenantDomainFromURLMapping),
// and every other path belongs to the super tenant, carbon.super; organisations live
// under /o/{org}/. A principal of another tenant may reach a path only where the rule
// allows cross-tenant access (and, with cross_access_allowed_tenants, for its tenant).
import { SUPER_TENANT } from "../principal/principal.ts";
import { fail, type Failure } from "../reason.ts";
import type { ResourceRule } from "./resource-rules.ts";

/** The tenant (or organisation) a path names, lower-cased; undefined when it names none. */
export function tenantOfPath(segments: readonly string[]): string | undefined {
  const t = segments.indexOf("t");
  const tenant = t >= 0 ? segments[t + 1] : segments[0] === "o" ? segments[1] : undefined;
  return tenant?.toLowerCase();
}

/** A path under /o/{org}: WSO2 answers its cross-tenant refusals 403, every other one 401. */
export function isOrganizationPath(segments: readonly string[]): boolean {
  return segments[0] === "o";
}

/**
 * `principalTenant` undefined: the client names no user, so it belongs to no tenant;
 * it is refused on paths that name one, and not held to carbon.super's (WSO2 skips
 * the check for it altogether: see docs/wso2.md).
 */
export function checkCrossTenant(
  segments: readonly string[],
  principalTenant: string | undefined,
  rule: ResourceRule,
  superTenantPaths = true,
): Failure | undefined {
  const pathTenant = tenantOfPath(segments) ?? (principalTenant === undefined || !superTenantPaths ? undefined : SUPER_TENANT);
  if (pathTenant === undefined || pathTenant === principalTenant) return undefined;
  const allowed =
    rule.crossTenant &&
    (rule.crossAccessAllowedTenants.length === 0 || (principalTenant !== undefined && rule.crossAccessAllowedTenants.includes(principalTenant)));
  if (allowed) return undefined;
  const who = principalTenant === undefined ? "a client with no user" : `a user of ${principalTenant}`;
  const where = tenantOfPath(segments) === undefined ? `a path of ${SUPER_TENANT} (no /t/{tenant}/ in it)` : `tenant ${pathTenant}`;
  return fail("CROSS_TENANT_DENIED", `${who} may not reach ${where} under rule "${rule.context}"`);
}
