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
import { normaliseThumbprint, type SystemMapping, type ThumbprintMappings, type UserMapping } from "../principal/thumbprint-mapping.ts";
import type { TomlReader } from "./toml-reader.ts";

type Table = Record<string, unknown>;

export interface AccessControlConfig {
  readonly defaultAccess: "allow" | "deny";
  readonly rules: readonly ResourceRule[];
  readonly grants: readonly StaticGrant[];
  readonly roles: readonly StaticRole[];
  /** undefined when [client_certificate_based_authentication] is off. */
  readonly thumbprintMappings: ThumbprintMappings | undefined;
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
  const httpMethod = read.string(table, `${where}.http_method`, "all");
  const methods = httpMethod.split(",").map((method) => method.trim().toUpperCase());
  if (methods.some((method) => !/^[A-Z]+$/.test(method)))
    read.problems.push(`${where}.http_method: "${httpMethod}" is not "all" or a comma-separated list of methods`);
  const secure = aliased(read, table, where, ["secure", "secured"], (key) => read.boolean(table, `${where}.${key}`, true), true);
  return {
    context,
    httpMethod,
    methods,
    secure,
    permissions: read.stringArray(table, `${where}.permissions`, []),
    scopes: aliased(read, table, where, ["scopes", "scope"], (key) => read.stringArray(table, `${where}.${key}`, []), []),
    allowedAuthHandlers: read.stringArray(table, `${where}.allowed_auth_handlers`, ["all"]).map((handler) => handler.toLowerCase()),
    crossTenant: read.boolean(table, `${where}.cross_tenant`, false),
    crossAccessAllowedTenants: read.stringArray(table, `${where}.cross_access_allowed_tenants`, []).map((tenant) => tenant.toLowerCase()),
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

function readMappings(read: TomlReader): ThumbprintMappings | undefined {
  const key = "client_certificate_based_authentication";
  const section = read.table(key, ["enable", "user_thumbprint_mapping", "system_thumbprint_mapping"]);
  const users: UserMapping[] = read.tableArray(`${key}.user_thumbprint_mapping`, ["trusted_issuer", "cert_thumbprint", "allowed_username"]).map((table, i) => {
    const where = `${key}.user_thumbprint_mapping[${i}]`;
    const allowedUsernames = read.stringArray(table, `${where}.allowed_username`, []).map((name) => name.toLowerCase());
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

export function readAccessControl(read: TomlReader, options: PrincipalOptions): AccessControlConfig {
  const section = read.table("resource_access_control", ["default_access"]);
  const defaultAccess = read.string(section, "resource_access_control.default_access", DEFAULTS.resourceAccessControl.defaultAccess);
  if (defaultAccess !== "allow" && defaultAccess !== "deny") read.problems.push(`resource_access_control.default_access: must be "allow" or "deny"`);
  read.table("resource", ["access_control"]);
  const rules = read.tableArray("resource.access_control", RULE_KEYS).map((table, i) => readRule(read, table, `resource.access_control[${i}]`));
  read.table("authorization", ["grant", "role"]);
  const { grants, roles } = readGrants(read, options);
  rules.forEach((rule, i) => {
    const needsGrants = rule.scopes.length > 0 || rule.permissions.some((permission) => permission.toLowerCase() !== "none");
    // Never fail open: a rule that asks for permissions must have somewhere to find them.
    if (needsGrants && grants.length === 0)
      read.problems.push(`resource.access_control[${i}]: requires permissions or scopes but no [[authorization.grant]] is configured`);
  });
  return { defaultAccess: defaultAccess === "allow" ? "allow" : "deny", rules, grants, roles, thumbprintMappings: readMappings(read) };
}
