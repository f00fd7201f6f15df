// Access, once the client is known: the matched rule's trust_domains and principals,
// its cross-tenant rule, and the permissions and scopes it requires.
import type { SpiffeId } from "../pki/spiffe/spiffe-id.ts";
import type { Principal } from "../principal/principal.ts";
import type { Failure } from "../reason.ts";
import { checkCrossTenant } from "./cross-tenant.ts";
import { checkGrants, type GrantSource } from "./grants.ts";
import type { PrincipalPatterns } from "./principal-patterns.ts";
import type { RuleMatch } from "./resource-rules.ts";

export interface Client {
  readonly principal: Principal | undefined;
  readonly spiffeId: SpiffeId | undefined;
}

export interface AccessRules {
  readonly match: RuleMatch | undefined;
  /** Who the matched rule admits (undefined: anyone). */
  readonly admits: PrincipalPatterns | undefined;
  /** The request path's segments (the tenant it names). */
  readonly segments: readonly string[];
  /**
   * Paths without /t/{tenant}/ are carbon.super's (WSO2's rule, for principals named
   * as WSO2 names them: the CN or the asserted user); false for a principal from a SAN
   * mapping, whose tenant is certgate's label, not a WSO2 tenant's URL space.
   */
  readonly superTenantPaths: boolean;
  readonly grants: GrantSource | undefined;
}

/** undefined: allowed; no matched rule allows everyone authenticated. */
export function authorize(client: Client, rules: AccessRules): Failure | undefined {
  const rule = rules.match?.rule;
  if (rule === undefined) return undefined;
  const { principal, spiffeId } = client;
  return (
    rules.admits?.check({ spiffeId: spiffeId?.text, trustDomain: spiffeId?.trustDomain, qualifiedUsername: principal?.qualifiedUsername }) ??
    checkCrossTenant(rules.segments, principal?.tenantDomain, rule, rules.superTenantPaths) ??
    checkGrants({ permissions: rule.permissions, scopes: rule.scopes }, principal?.qualifiedUsername, rules.grants)
  );
}
