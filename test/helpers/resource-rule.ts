// A [[resource.access_control]] rule as the config reader builds it: secure, every
// method and handler, no cross-tenant access, no permissions; `extra` changes the rest.
import type { ResourceRule } from "../../src/policy/resource-rules.ts";

export function resourceRule(context: string, extra: Partial<ResourceRule> = {}): ResourceRule {
  return {
    context,
    httpMethod: "all",
    methods: ["ALL"],
    secure: true,
    permissions: [],
    scopes: [],
    allowedAuthHandlers: ["all"],
    crossTenant: false,
    crossAccessAllowedTenants: [],
    trustDomains: [],
    principals: [],
    ...extra,
  };
}
