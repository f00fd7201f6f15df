// The WSO2 access-control sections of deployment.toml: [resource_access_control],
// [[resource.access_control]], [[authorization.grant]], [[authorization.role]] and
// [client_certificate_based_authentication]. Follows WSO2's templates where its
// docs differ: `secure` (docs: `secured`) and `scopes` (docs: `scope`) are both
// accepted, never together.
import { DEFAULTS } from "../defaults.ts";
import { parseDistinguishedName } from "../pki/certificate/name.ts";
import { invalidTrustDomain } from "../pki/spiffe/spiffe-id.ts";
import { invalidPrincipalPattern } from "../policy/principal-patterns.ts";
import type { StaticGrant, StaticRole } from "../policy/grants.ts";
import { invalidContext, type ResourceRule } from "../policy/resource-rules.ts";
import { principalFromName, type PrincipalOptions } from "../principal/principal.ts";
import { normaliseThumbprint, type HeaderSemantics, type SystemMapping, type ThumbprintMappings, type UserMapping } from "../principal/thumbprint-mapping.ts";
import type { TomlReader } from "./toml-reader.ts";

type Table = Record<string, unknown>;

export interface AccessControlConfig {
  readonly defaultAccess: "allow" | "deny";
  readonly rules: readonly ResourceRule[];
  readonly grants: readonly StaticGrant[];
  readonly roles: readonly StaticRole[];
  /** undefined when [client_certificate_based_authentication] is off. */
  readonly thumbprintMappings: ThumbprintMappings | undefined;
  readonly headerSemantics: HeaderSemantics;
  /** WSO2's log_client_cert_info: one line per request authenticated by a mapping (thumbprint, issuer, user). */
  readonly logClientCertInfo: boolean;
}

const RULE_KEYS = [
  "context",
  "secure",
  "secured",
  "http_method",
  "permissions",
  "scopes",
  "scope",
  "allowed_auth_handlers",
  "cross_tenant",
  "cross_access_allowed_tenants",
  "trust_domains",
  "principals",
];

/** One of two alias keys; both at once is a mistake worth refusing. */
function aliased<T>(read: TomlReader, table: Table, where: string, keys: [string, string], get: (key: string) => T, fallback: T): T {
  const present = keys.filter((key) => table[key] !== undefined);
  if (present.length === 2) read.problems.push(`${where}: set ${keys[0]} or ${keys[1]}, not both`);
  return present.length === 0 ? fallback : get(present[0]!);
}

function readWho(read: TomlReader, table: Table, where: string, secure: boolean): { trustDomains: readonly string[]; principals: readonly string[] } {
  const trustDomains = read.stringArray(table, `${where}.trust_domains`, []);
  const principals = read.stringArray(table, `${where}.principals`, []);
  trustDomains.forEach((name, i) => {
    const why = invalidTrustDomain(name);
    if (why !== undefined) read.problems.push(`${where}.trust_domains[${i}]: ${why}`);
  });
  principals.forEach((pattern, i) => {
    const why = invalidPrincipalPattern(pattern);
    if (why !== undefined) read.problems.push(`${where}.principals[${i}]: ${JSON.stringify(pattern)} ${why}`);
  });
  // Never a silent no-op: an unsecured rule lets everyone in without looking at a certificate.
  if (!secure && (trustDomains.length > 0 || principals.length > 0))
    read.problems.push(`${where}: trust_domains and principals need secure = true (an unsecured rule reads no certificate)`);
  return { trustDomains, principals };
}

function readRule(read: TomlReader, table: Table, where: string): ResourceRule {
  const context = read.string(table, `${where}.context`, "");
  if (context === "") read.problems.push(`${where}.context: required`);
  const why = invalidContext(context);
  if (why !== undefined) read.problems.push(`${where}.context: ${JSON.stringify(context)} is not a valid regular expression (${why})`);
  const httpMethod = read.string(table, `${where}.http_method`, "");
  // WSO2 renders a missing http_method as http-method="", which no request matches: so here.
  const methods = httpMethod === "" ? [] : httpMethod.split(",").map((method) => method.trim().toUpperCase());
  if (methods.some((method) => !/^[A-Z]+$/.test(method)))
    read.problems.push(`${where}.http_method: "${httpMethod}" is not "all" or a comma-separated list of methods`);
  if (httpMethod === "" && context !== "")
    read.warnings.push(
      `${where} (context ${JSON.stringify(context)}) has no http_method, so it never matches (WSO2 renders it as http-method=""); ` +
        'write http_method = "all" to match every method',
    );
  const secure = aliased(read, table, where, ["secure", "secured"], (key) => read.boolean(table, `${where}.${key}`, true), true);
  return {
    context,
    httpMethod,
    methods,
    secure,
    permissions: read.stringArray(table, `${where}.permissions`, []),
    scopes: aliased(read, table, where, ["scopes", "scope"], (key) => read.stringArray(table, `${where}.${key}`, []), []),
    allowedAuthHandlers: read.list(table, `${where}.allowed_auth_handlers`, ["all"]).map((handler) => handler.toLowerCase()),
    crossTenant: read.boolean(table, `${where}.cross_tenant`, false),
    crossAccessAllowedTenants: read.list(table, `${where}.cross_access_allowed_tenants`, []).map((tenant) => tenant.toLowerCase()),
    ...readWho(read, table, where, secure),
  };
}

function qualified(read: TomlReader, name: string, where: string, options: PrincipalOptions): string {
  const result = principalFromName(name, options);
  if (!result.ok) {
    read.problems.push(`${where}: ${result.message}`);
    return name;
  }
  return result.principal.qualifiedUsername;
}

function readGrants(read: TomlReader, options: PrincipalOptions): { grants: StaticGrant[]; roles: StaticRole[] } {
  const roles = read.tableArray("authorization.role", ["name", "users"]).map((table, i) => {
    const where = `authorization.role[${i}]`;
    const name = read.string(table, `${where}.name`, "");
    if (name === "") read.problems.push(`${where}.name: required`);
    const users = read.stringArray(table, `${where}.users`, []).map((user, n) => qualified(read, user, `${where}.users[${n}]`, options));
    return { name, users };
  });
  const grants = read.tableArray("authorization.grant", ["user", "role", "permissions", "scopes"]).map((table, i) => {
    const where = `authorization.grant[${i}]`;
    const user = table.user === undefined ? undefined : qualified(read, read.string(table, `${where}.user`, ""), `${where}.user`, options);
    const role = table.role === undefined ? undefined : read.string(table, `${where}.role`, "");
    if ((user === undefined) === (role === undefined)) read.problems.push(`${where}: set exactly one of user or role`);
    if (role !== undefined && !roles.some((r) => r.name === role)) read.problems.push(`${where}.role: no [[authorization.role]] named ${JSON.stringify(role)}`);
    return { user, role, permissions: read.stringArray(table, `${where}.permissions`, []), scopes: read.stringArray(table, `${where}.scopes`, []) };
  });
  return { grants, roles };
}

function mappingBase(read: TomlReader, table: Table, where: string): { trustedIssuer: string; thumbprint: string } {
  const issuer = read.string(table, `${where}.trusted_issuer`, "");
  let trustedIssuer = "";
  if (issuer === "*" || issuer === "") read.problems.push(`${where}.trusted_issuer: must name an issuer DN ("*" is not allowed)`);
  else {
    const parsed = parseDistinguishedName(issuer);
    if (typeof parsed === "string") read.problems.push(`${where}.trusted_issuer: ${parsed}`);
    else trustedIssuer = parsed.unorderedKey;
  }
  const thumbprint = normaliseThumbprint(read.string(table, `${where}.cert_thumbprint`, ""));
  if (thumbprint === undefined) read.problems.push(`${where}.cert_thumbprint: must be a SHA-256 hex thumbprint (colons allowed) or "*"`);
  return { trustedIssuer, thumbprint: thumbprint ?? "" };
}

const HEADER_SEMANTICS: readonly HeaderSemantics[] = ["7.2", "7.1"];

type CertificateAuthentication = Pick<AccessControlConfig, "thumbprintMappings" | "headerSemantics" | "logClientCertInfo">;

function readCertificateAuthentication(read: TomlReader): CertificateAuthentication {
  const key = "client_certificate_based_authentication";
  const section = read.table(key, ["enable", "log_client_cert_info", "header_semantics", "user_thumbprint_mapping", "system_thumbprint_mapping"]);
  const semantics = read.string(section, `${key}.header_semantics`, DEFAULTS.clientCertificateBasedAuthentication.headerSemantics);
  if (!HEADER_SEMANTICS.includes(semantics as HeaderSemantics))
    read.problems.push(`${key}.header_semantics: must be "7.2" (WSO2 IS 7.2, the default) or "7.1", found ${JSON.stringify(semantics)}`);
  const mappings = readMappings(read, section, key);
  if (mappings !== undefined && semantics === "7.1")
    read.problems.push(`${key}.header_semantics: "7.1" trusts the header without mappings; enable = true uses the mappings: choose one`);
  return {
    thumbprintMappings: mappings,
    headerSemantics: semantics === "7.1" ? "7.1" : "7.2",
    logClientCertInfo: read.boolean(section, `${key}.log_client_cert_info`, false),
  };
}

function readMappings(read: TomlReader, section: Table, key: string): ThumbprintMappings | undefined {
  const users: UserMapping[] = read.tableArray(`${key}.user_thumbprint_mapping`, ["trusted_issuer", "cert_thumbprint", "allowed_username"]).map((table, i) => {
    const where = `${key}.user_thumbprint_mapping[${i}]`;
    const allowedUsernames = read.list(table, `${where}.allowed_username`, []).map((name) => name.toLowerCase());
    if (allowedUsernames.length === 0) read.problems.push(`${where}.allowed_username: list at least one username, or "*"`);
    return { ...mappingBase(read, table, where), allowedUsernames };
  });
  const systems: SystemMapping[] = read
    .tableArray(`${key}.system_thumbprint_mapping`, ["trusted_issuer", "cert_thumbprint", "allowed_system_user"])
    .map((table, i) => {
      const where = `${key}.system_thumbprint_mapping[${i}]`;
      const allowedSystemUser = read.string(table, `${where}.allowed_system_user`, "");
      if (allowedSystemUser === "") read.problems.push(`${where}.allowed_system_user: required (a username, or "*")`);
      return { ...mappingBase(read, table, where), allowedSystemUser };
    });
  return read.boolean(section, `${key}.enable`, false) ? { users, systems } : undefined;
}

/** certgate's default_access ("allow" | "deny") or WSO2's default_access_allow (a boolean), not both. */
function readDefaultAccess(read: TomlReader): "allow" | "deny" {
  const key = "resource_access_control";
  const section = read.table(key, ["default_access", "default_access_allow"], { shared: true });
  if (section.default_access !== undefined && section.default_access_allow !== undefined)
    read.problems.push(`${key}.default_access: set it or default_access_allow (WSO2's key), not both`);
  if (section.default_access_allow !== undefined) return read.boolean(section, `${key}.default_access_allow`, false) ? "allow" : "deny";
  const defaultAccess = read.string(section, `${key}.default_access`, DEFAULTS.resourceAccessControl.defaultAccess);
  if (defaultAccess !== "allow" && defaultAccess !== "deny") read.problems.push(`${key}.default_access: must be "allow" or "deny"`);
  return defaultAccess === "allow" ? "allow" : "deny";
}

export function readAccessControl(read: TomlReader, options: PrincipalOptions): AccessControlConfig {
  const defaultAccess = readDefaultAccess(read);
  read.table("resource", ["access_control"], { shared: true });
  const rules = read.tableArray("resource.access_control", RULE_KEYS).map((table, i) => readRule(read, table, `resource.access_control[${i}]`));
  read.table("authorization", ["grant", "role"]);
  const { grants, roles } = readGrants(read, options);
  rules.forEach((rule, i) => {
    const needsGrants = rule.scopes.length > 0 || rule.permissions.some((permission) => permission.toLowerCase() !== "none");
    // Never fail open: a rule that asks for permissions must have somewhere to find them.
    if (needsGrants && grants.length === 0)
      read.problems.push(`resource.access_control[${i}]: requires permissions or scopes but no [[authorization.grant]] is configured`);
  });
  return { defaultAccess, rules, grants, roles, ...readCertificateAuthentication(read) };
}
