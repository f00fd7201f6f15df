// Scenarios for WSO2 resource access control and certificate-to-user mappings,
// built through the real config parser so the TOML keys are exercised too.
import { parseConfig } from "../../src/config/load.ts";
import { validatorSettings } from "../../src/config/validator-settings.ts";
import type { Reason } from "../../src/reason.ts";
import type { ChainInput, ValidatorSettings } from "../../src/validator/validator.ts";
import { trustStoreOf, newPki, type TestPki } from "./pki.ts";

export interface AccessScenario {
  readonly name: string;
  readonly chain: ChainInput;
  readonly context: string;
  readonly method: string;
  readonly userHeader?: string;
  readonly expect: Reason;
  readonly qualifiedUsername?: string;
  readonly matchedRule?: number;
}

export const ACCESS_TOML = `
[truststore]
ca_files = ["unused.pem"]
[intermediate_cert_validation]
cert_cns = ["certgate-dev-intermediate"]
exempt_contexts = ["/scim2/Me"]

[resource_access_control]
default_access = "deny"

[[resource.access_control]]
context = "/api/public/*"
secure = false
http_method = "all"

[[resource.access_control]]
context = "(.*)/scim2/Users(.*)"
secured = true
http_method = "post"
permissions = ["/permission/admin/manage/identity/usermgt/create"]
scope = ["internal_user_mgt_create"]
allowed_auth_handlers = ["ClientCertificate"]

[[resource.access_control]]
context = "(.*)/scim2/Users(.*)"
http_method = "GET,HEAD"
permissions = ["none"]

[[resource.access_control]]
context = "/api/legacy/*"
http_method = "all"
allowed_auth_handlers = ["BasicAuthentication"]

[[resource.access_control]]
context = "(.*)/api/users/v1/(.*)"
http_method = "all"
cross_tenant = true
cross_access_allowed_tenants = ["Partner.com"]

[[resource.access_control]]
context = "(.*)/scim2/Me"
http_method = "all"
permissions = ["/permission/admin/login"]

[[authorization.grant]]
user = "secondary/john@Tenant.com"
permissions = ["/permission/admin/manage/identity"]
scopes = ["internal_user_mgt_create"]

[[authorization.role]]
name = "everyone"
users = ["ann", "SECONDARY/john@tenant.com"]

[[authorization.grant]]
role = "everyone"
permissions = ["/permission/admin/login"]
`;

/** The exempt context's mappings (WSO2 IS 7.2): the rogue intermediate's certificates may assert ann, or call with no user. */
const SCENARIO_MAPPINGS = `
[client_certificate_based_authentication]
enable = true
[[client_certificate_based_authentication.user_thumbprint_mapping]]
trusted_issuer = "CN=rogue-intermediate,O=certgate"
cert_thumbprint = "*"
allowed_username = "ann"
[[client_certificate_based_authentication.system_thumbprint_mapping]]
trusted_issuer = "CN=rogue-intermediate,O=certgate"
cert_thumbprint = "*"
allowed_system_user = "*"
`;

/** `extraToml` with its own [client_certificate_based_authentication] replaces the scenarios' mappings. */
export function accessSettings(pki: TestPki, extraToml = "", defaultAccess: "allow" | "deny" = "deny"): ValidatorSettings {
  const mappings = extraToml.includes("[client_certificate_based_authentication]") ? "" : SCENARIO_MAPPINGS;
  const config = parseConfig(ACCESS_TOML.replace('default_access = "deny"', `default_access = "${defaultAccess}"`) + mappings + extraToml, "access.toml", "/");
  return { ...validatorSettings(config, { trust: trustStoreOf([pki.root]) }) };
}

const pem = (...items: { pem: string }[]) => ({ pem: items.map((item) => item.pem).join("") });

export async function buildAccessScenarios(): Promise<{ pki: TestPki; scenarios: AccessScenario[] }> {
  const pki = await newPki();
  const { intermediate, rogue } = pki;
  const john = pem(await pki.client("SECONDARY/john@tenant.com"), intermediate);
  const plainJohn = pem(await pki.client("john"), intermediate);
  const partner = pem(await pki.client("bob@partner.com"), intermediate);
  const rogueClient = pem(await pki.client("svc", {}, rogue), rogue);
  const none = { der: [] };
  const scenarios: AccessScenario[] = [
    { name: "insecure rule, no certificate", chain: none, context: "/api/public/status", method: "GET", expect: "OK", qualifiedUsername: "", matchedRule: 0 },
    { name: "trailing /* covers the prefix itself", chain: none, context: "/api/public", method: "GET", expect: "OK", matchedRule: 0 },
    { name: "percent-encoded path reaches the insecure rule", chain: none, context: "/api/%70ublic/a/b", method: "GET", expect: "OK", matchedRule: 0 },
    { name: "dot segments do not escape into an insecure rule", chain: none, context: "/api/public/../identity/x", method: "GET", expect: "NO_MATCHING_RULE" },
    { name: "no rule matches, default deny", chain: john, context: "/api/other", method: "GET", expect: "NO_MATCHING_RULE" },
    { name: "secure rule, no certificate", chain: none, context: "/scim2/Users", method: "GET", expect: "NO_CERTIFICATE", matchedRule: 2 },
    { name: "handler not allowed", chain: john, context: "/api/legacy/x", method: "GET", expect: "HANDLER_NOT_ALLOWED", matchedRule: 3 },
    {
      name: "permission held through the permission tree, odd-case method",
      chain: john,
      context: "/t/tenant.com/scim2/Users",
      method: "pOsT",
      expect: "OK",
      qualifiedUsername: "SECONDARY/john@tenant.com",
      matchedRule: 1,
    },
    { name: "permission missing", chain: plainJohn, context: "/scim2/Users", method: "POST", expect: "ACCESS_DENIED", matchedRule: 1 },
    { name: "permission none", chain: plainJohn, context: "/scim2/Users?filter=x", method: "get", expect: "OK", matchedRule: 2 },
    { name: "method not covered by any rule", chain: plainJohn, context: "/scim2/Users", method: "DELETE", expect: "NO_MATCHING_RULE" },
    {
      name: "carbon.super user on another tenant",
      chain: plainJohn,
      context: "/t/other.com/scim2/Users",
      method: "GET",
      expect: "CROSS_TENANT_DENIED",
      matchedRule: 2,
    },
    { name: "own tenant is not cross-tenant", chain: john, context: "/t/TENANT.com/scim2/Users", method: "GET", expect: "OK" },
    { name: "cross-tenant allowed for a listed tenant", chain: partner, context: "/t/other.com/api/users/v1/me", method: "GET", expect: "OK", matchedRule: 4 },
    {
      name: "cross-tenant refused for an unlisted tenant",
      chain: john,
      context: "/o/other.com/api/users/v1/me",
      method: "GET",
      expect: "CROSS_TENANT_DENIED",
      matchedRule: 4,
    },
    {
      name: "role grant through the asserted user in an exempt context",
      chain: rogueClient,
      context: "/scim2/Me",
      method: "GET",
      userHeader: "ann",
      expect: "OK",
      qualifiedUsername: "ann",
      matchedRule: 5,
    },
    {
      name: "a user the exempt context's mapping does not allow",
      chain: rogueClient,
      context: "/scim2/Me",
      method: "GET",
      userHeader: "ann@acme.com",
      expect: "USER_NOT_MAPPED",
    },
    {
      name: "a tenant user on a path without /t/, which is carbon.super's (WSO2 Utils.getTenantDomainFromURLMapping)",
      chain: john,
      context: "/scim2/Users",
      method: "GET",
      expect: "CROSS_TENANT_DENIED",
      matchedRule: 2,
    },
    {
      name: "a tenant user on its tenant's path, /t/ anywhere in the path",
      chain: john,
      context: "/api/t/tenant.com/scim2/Users",
      method: "GET",
      expect: "OK",
      matchedRule: 2,
    },
    { name: "no user, permission required", chain: rogueClient, context: "/scim2/Me", method: "GET", expect: "ACCESS_DENIED", matchedRule: 5 },
  ];
  return { pki, scenarios };
}
