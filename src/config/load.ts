// deployment.toml -> Config. The only place that knows the file format and its
// WSO2-derived key names. Defaults first, then per-key types, then cross-field rules.
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { parse, TomlError } from "smol-toml";
import { DEFAULTS } from "../defaults.ts";
import { PROFILES, profileNamed } from "../pki/path/profile.ts";
import { REVOCATION_MODES, type RevocationMode } from "../pki/revocation/check.ts";
import { invalidExemptContext } from "../policy/exempt-context.ts";
import { ConfigError, LOG_LEVELS, type Config, type LogLevel, type TlsConfig } from "./config.ts";
import { readAccessControl } from "./access-control.ts";
import { invalidTrustDomain } from "../pki/spiffe/spiffe-id.ts";
import { PRINCIPAL_SOURCES, compileSanMappings, type MappingRule, type PrincipalSource } from "../principal/san-mapping.ts";
import { TomlReader } from "./toml-reader.ts";

const TABLES = {
  server: [
    "listen",
    "max_chain_length",
    "max_request_bytes",
    "max_certificate_bytes",
    "max_path_checks",
    "max_concurrent_streams",
    "drain_seconds",
    "allowed_caller_sans",
    "socket_mode",
    "tls",
  ],
  "server.tls": ["cert_file", "key_file", "client_ca_files", "require_client_cert"],
  health: ["listen"],
  cache: ["max_entries", "ttl_seconds"],
  revocation: ["mode", "crl_files", "crl_dirs", "fetch", "ocsp", "timeout_ms", "max_fetch_bytes", "failure_backoff_seconds"],
  metrics: ["listen"],
  truststore: ["ca_files", "intermediate_files", "allow_sha1", "required_policies", "profile"],
  intermediate_cert_validation: ["enable", "cert_cns", "exempt_contexts"],
  tenant: ["email_username"],
  ext_authz: ["trust_xfcc", "trust_client_cert_headers", "cert_header", "user_header", "max_xfcc_elements", "max_header_bytes", "headers"],
  "ext_authz.headers": ["user", "user_store", "tenant", "qualified_user", "fingerprint", "spiffe_id"],
  principal: ["source", "mapping"],
  log: ["level", "audit", "expiry_warning_days"],
} as const;

/** Top-level tables read by access-control.ts. */
const ACCESS_CONTROL_TABLES = ["resource_access_control", "resource", "authorization", "client_certificate_based_authentication"];

const MAPPING_KEYS = ["match", "username", "user_store", "tenant"];
const TRUST_DOMAIN_KEYS = ["name", "ca_files", "bundle_file"];

const S = DEFAULTS.server;
const R = DEFAULTS.revocation;
const D = DEFAULTS.extAuthz;

const HEADER_NAME = /^[a-z0-9!#$%&'*+.^_`|~-]+$/;

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

/** "host:port", "[v6]:port" or "unix:/absolute/path". */
export function invalidListenAddress(listen: string): string | undefined {
  if (listen.startsWith("unix:")) return listen.length > "unix:".length ? undefined : "unix: needs a socket path";
  const match = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(listen);
  if (match === null) return `must be "host:port" or "unix:/path", found ${JSON.stringify(listen)}`;
  const port = Number(match[2]);
  return port <= 65535 ? undefined : `port ${port} is out of range`;
}

function crossFieldProblems(config: Omit<Config, "source" | "accessControl">): string[] {
  const problems: string[] = [];
  const listenProblem = invalidListenAddress(config.server.listen);
  if (listenProblem !== undefined) problems.push(`server.listen: ${listenProblem}`);
  for (const [key, listen] of [
    ["health.listen", config.health.listen],
    ["metrics.listen", config.metrics.listen],
  ] as const) {
    const problem = listen === "" || listen.startsWith("unix:") ? (listen === "" ? undefined : "must be host:port") : invalidListenAddress(listen);
    if (problem !== undefined) problems.push(`${key}: ${problem}`);
  }
  if (!Number.isInteger(config.server.socketMode) || config.server.socketMode < 0 || config.server.socketMode > 0o777) {
    problems.push('server.socket_mode: must be an octal permission string such as "0660"');
  }
  const tls = config.server.tls;
  if (tls !== undefined) {
    if (tls.requireClientCert && tls.clientCaFiles.length === 0) problems.push("server.tls.client_ca_files: required when require_client_cert = true");
  }
  if (config.server.allowedCallerSans.length > 0 && (tls === undefined || !tls.requireClientCert)) {
    problems.push("server.allowed_caller_sans: needs [server.tls] with require_client_cert = true (callers are named by their certificate)");
  }
  if (config.truststore.caFiles.length === 0 && config.trustDomains.length === 0)
    problems.push("truststore.ca_files: at least one trust anchor file is required (or a [[trust_domain]])");
  config.truststore.requiredPolicies.forEach((oid, i) => {
    if (!/^\d+(\.\d+)+$/.test(oid)) problems.push(`truststore.required_policies[${i}]: ${JSON.stringify(oid)} is not an OID`);
  });
  const validation = config.intermediateCertValidation;
  if (validation.enable && validation.certCns.length === 0) {
    problems.push("intermediate_cert_validation.cert_cns: must list at least one CN when enable = true (otherwise every request is denied)");
  }
  validation.certCns.forEach((cn, i) => {
    if (cn.trim() === "") problems.push(`intermediate_cert_validation.cert_cns[${i}]: must not be empty`);
  });
  validation.exemptContexts.forEach((entry, i) => {
    const why = invalidExemptContext(entry);
    if (why !== undefined) problems.push(`intermediate_cert_validation.exempt_contexts[${i}]: ${JSON.stringify(entry)} ${why}`);
  });
  problems.push(...headerProblems(config.extAuthz));
  return problems;
}

function headerProblems(extAuthz: Config["extAuthz"]): string[] {
  const problems: string[] = [];
  const named: [string, string][] = [
    ["ext_authz.user_header", extAuthz.userHeader],
    ...Object.entries(extAuthz.headers).map(([key, name]): [string, string] => [
      `ext_authz.headers.${key.replace(/[A-Z]/g, (c) => "_" + c.toLowerCase())}`,
      name,
    ]),
  ];
  if (extAuthz.certHeader !== "") named.push(["ext_authz.cert_header", extAuthz.certHeader]);
  const seen = new Map<string, string>();
  for (const [key, name] of named) {
    if (!HEADER_NAME.test(name)) problems.push(`${key}: ${JSON.stringify(name)} is not a valid HTTP header name`);
    const other = seen.get(name);
    if (other !== undefined) problems.push(`${key}: "${name}" is also ${other}`);
    seen.set(name, key);
  }
  return problems;
}

function readPrincipal(read: TomlReader): Config["principal"] {
  const table = read.table("principal", TABLES.principal);
  const source = read.string(table, "principal.source", DEFAULTS.principal.source);
  if (!PRINCIPAL_SOURCES.includes(source as PrincipalSource))
    read.problems.push(`principal.source: must be one of ${PRINCIPAL_SOURCES.join(", ")}, found ${JSON.stringify(source)}`);
  const mappings = read.tableArray("principal.mapping", MAPPING_KEYS).map((entry, i): MappingRule => {
    const where = `principal.mapping[${i}]`;
    const match = read.string(entry, `${where}.match`, "");
    if (match === "") read.problems.push(`${where}.match: required`);
    const optional = (key: string) =>
      entry[key] === undefined ? {} : { [key === "user_store" ? "userStore" : key]: read.string(entry, `${where}.${key}`, "") };
    return { match, username: read.string(entry, `${where}.username`, ""), ...optional("user_store"), ...optional("tenant") };
  });
  return { source: source as PrincipalSource, mappings };
}

function readTrustDomains(read: TomlReader, baseDir: string): Config["trustDomains"] {
  return read.tableArray("trust_domain", TRUST_DOMAIN_KEYS).map((entry, i) => {
    const where = `trust_domain[${i}]`;
    const bundle = read.string(entry, `${where}.bundle_file`, "");
    return {
      name: read.string(entry, `${where}.name`, ""),
      caFiles: read.stringArray(entry, `${where}.ca_files`, []).map((file) => resolve(baseDir, file)),
      bundleFile: bundle === "" ? undefined : resolve(baseDir, bundle),
    };
  });
}

/** principal.source, its mappings, the trust domains, and the rules that name them. */
function identityProblems(config: Omit<Config, "source">): string[] {
  const problems: string[] = [];
  const { source, mappings } = config.principal;
  if (source === "cn" && mappings.length > 0)
    problems.push(`principal.mapping: applies only when principal.source names a SAN ("uri_san", "email_san" or "dns_san"); source is "cn"`);
  if (source !== "cn" && PRINCIPAL_SOURCES.includes(source)) {
    if (mappings.length === 0)
      problems.push(
        `principal.mapping: principal.source = ${JSON.stringify(source)} needs at least one [[principal.mapping]] ` +
          "(otherwise every client is NO_PRINCIPAL_MAPPING)",
      );
    const compiled = compileSanMappings(source, mappings);
    if (!compiled.ok) problems.push(...compiled.problems.map((problem) => `principal.mapping${problem}`));
    if (config.accessControl.thumbprintMappings !== undefined)
      problems.push(
        `principal.source: ${JSON.stringify(source)} names the principal from the certificate; ` +
          "it cannot be combined with [client_certificate_based_authentication] enable = true",
      );
  }
  const names = new Map<string, number>();
  config.trustDomains.forEach((domain, i) => {
    const where = `trust_domain[${i}]`;
    const why = invalidTrustDomain(domain.name);
    if (why !== undefined) problems.push(`${where}.name: ${why}`);
    const other = names.get(domain.name);
    if (other !== undefined) problems.push(`${where}.name: ${JSON.stringify(domain.name)} is also trust_domain[${other}]`);
    names.set(domain.name, i);
    if (domain.caFiles.length === 0 && domain.bundleFile === undefined)
      problems.push(`${where}: set ca_files, bundle_file or both (a trust domain needs anchors)`);
  });
  config.accessControl.rules.forEach((rule, i) => {
    rule.trustDomains.forEach((name, n) => {
      if (!names.has(name) && invalidTrustDomain(name) === undefined)
        problems.push(`resource.access_control[${i}].trust_domains[${n}]: no [[trust_domain]] named ${JSON.stringify(name)}`);
    });
  });
  return problems;
}

function readTls(read: TomlReader, table: Record<string, unknown>, baseDir: string): TlsConfig {
  const file = (key: string) => {
    const value = read.string(table, `server.tls.${key}`, "");
    if (value === "") read.problems.push(`server.tls.${key}: required when [server.tls] is present`);
    return resolve(baseDir, value);
  };
  return {
    certFile: file("cert_file"),
    keyFile: file("key_file"),
    clientCaFiles: read.stringArray(table, "server.tls.client_ca_files", []).map((path) => resolve(baseDir, path)),
    requireClientCert: read.boolean(table, "server.tls.require_client_cert", true),
  };
}

/** Parses and validates a config document; relative file paths resolve against `baseDir`. */
export function parseConfig(text: string, source: string, baseDir: string): Config {
  let document: Record<string, unknown>;
  try {
    document = parse(text) as Record<string, unknown>;
  } catch (error) {
    const detail = error instanceof TomlError ? `line ${error.line}, column ${error.column}: ${error.message.split("\n")[0]}` : String(error);
    throw new ConfigError(source, [`not valid TOML: ${detail}`]);
  }
  const read = new TomlReader(document);
  read.table("", [...Object.keys(TABLES).filter((key) => !key.includes(".")), ...ACCESS_CONTROL_TABLES, "trust_domain"]);
  const server = read.table("server", TABLES.server);
  const tls = read.table("server.tls", TABLES["server.tls"]);
  const health = read.table("health", TABLES.health);
  const cache = read.table("cache", TABLES.cache);
  const revocation = read.table("revocation", TABLES.revocation);
  const revocationMode = read.string(revocation, "revocation.mode", DEFAULTS.revocation.mode);
  if (!REVOCATION_MODES.includes(revocationMode as RevocationMode))
    read.problems.push(`revocation.mode: must be one of ${REVOCATION_MODES.join(", ")}, found ${JSON.stringify(revocationMode)}`);
  const metrics = read.table("metrics", TABLES.metrics);
  const truststore = read.table("truststore", TABLES.truststore);
  const profileName = read.string(truststore, "truststore.profile", DEFAULTS.truststore.profile);
  const profile = profileNamed(profileName);
  if (profile === undefined)
    read.problems.push(`truststore.profile: must be one of ${PROFILES.join(", ")} ("compatible" is an alias of rfc5280), found ${JSON.stringify(profileName)}`);
  const validation = read.table("intermediate_cert_validation", TABLES.intermediate_cert_validation);
  const tenant = read.table("tenant", TABLES.tenant);
  const log = read.table("log", TABLES.log);
  const extAuthz = read.table("ext_authz", TABLES.ext_authz);
  const principalHeaders = read.table("ext_authz.headers", TABLES["ext_authz.headers"]);
  const header = (table: Record<string, unknown>, key: string, fallback: string) => read.string(table, key, fallback).toLowerCase();
  const files = (key: string) => read.stringArray(truststore, key, []).map((file) => resolve(baseDir, file));
  const level = read.string(log, "log.level", DEFAULTS.log.level);
  if (!LOG_LEVELS.includes(level as LogLevel)) read.problems.push(`log.level: must be one of ${LOG_LEVELS.join(", ")}, found ${JSON.stringify(level)}`);
  const config = {
    server: {
      listen: read.string(server, "server.listen", S.listen),
      maxChainLength: read.integer(server, "server.max_chain_length", S.maxChainLength, { min: 1, max: 32 }),
      maxRequestBytes: read.integer(server, "server.max_request_bytes", S.maxRequestBytes, { min: 1024, max: 16 * 1024 * 1024 }),
      maxCertificateBytes: read.integer(server, "server.max_certificate_bytes", S.maxCertificateBytes, { min: 512, max: 1024 * 1024 }),
      maxPathChecks: read.integer(server, "server.max_path_checks", S.maxPathChecks, { min: 1, max: 1024 }),
      maxConcurrentStreams: read.integer(server, "server.max_concurrent_streams", S.maxConcurrentStreams, { min: 1, max: 100_000 }),
      drainSeconds: read.integer(server, "server.drain_seconds", S.drainSeconds, { min: 0, max: 3600 }),
      allowedCallerSans: read.stringArray(server, "server.allowed_caller_sans", []),
      socketMode: parseInt(read.string(server, "server.socket_mode", S.socketMode), 8),
      tls: server.tls === undefined ? undefined : readTls(read, tls, baseDir),
    },
    health: { listen: read.string(health, "health.listen", DEFAULTS.health.listen) },
    revocation: {
      mode: revocationMode as Config["revocation"]["mode"],
      crlFiles: read.stringArray(revocation, "revocation.crl_files", []).map((file) => resolve(baseDir, file)),
      crlDirs: read.stringArray(revocation, "revocation.crl_dirs", []).map((dir) => resolve(baseDir, dir)),
      fetch: read.boolean(revocation, "revocation.fetch", R.fetch),
      ocsp: read.boolean(revocation, "revocation.ocsp", R.ocsp),
      timeoutMs: read.integer(revocation, "revocation.timeout_ms", R.timeoutMs, { min: 50, max: 60_000 }),
      maxFetchBytes: read.integer(revocation, "revocation.max_fetch_bytes", R.maxFetchBytes, { min: 1024, max: 1024 * 1024 * 1024 }),
      failureBackoffSeconds: read.integer(revocation, "revocation.failure_backoff_seconds", R.failureBackoffSeconds, { min: 0, max: 86_400 }),
    },
    cache: {
      maxEntries: read.integer(cache, "cache.max_entries", DEFAULTS.cache.maxEntries, { min: 0, max: 10_000_000 }),
      ttlSeconds: read.integer(cache, "cache.ttl_seconds", DEFAULTS.cache.ttlSeconds, { min: 1, max: 86_400 }),
    },
    metrics: { listen: read.string(metrics, "metrics.listen", DEFAULTS.metrics.listen) },
    truststore: {
      caFiles: files("truststore.ca_files"),
      intermediateFiles: files("truststore.intermediate_files"),
      allowSha1: read.boolean(truststore, "truststore.allow_sha1", DEFAULTS.truststore.allowSha1),
      requiredPolicies: read.stringArray(truststore, "truststore.required_policies", []),
      profile: profile ?? DEFAULTS.truststore.profile,
    },
    intermediateCertValidation: {
      enable: read.boolean(validation, "intermediate_cert_validation.enable", DEFAULTS.intermediateCertValidation.enable),
      certCns: read.stringArray(validation, "intermediate_cert_validation.cert_cns", []),
      exemptContexts: read.stringArray(validation, "intermediate_cert_validation.exempt_contexts", []),
    },
    tenant: { emailUsername: read.boolean(tenant, "tenant.email_username", DEFAULTS.tenant.emailUsername) },
    principal: readPrincipal(read),
    trustDomains: readTrustDomains(read, baseDir),
    extAuthz: {
      trustXfcc: read.boolean(extAuthz, "ext_authz.trust_xfcc", D.trustXfcc),
      trustClientCertHeaders: read.boolean(extAuthz, "ext_authz.trust_client_cert_headers", D.trustClientCertHeaders),
      certHeader: header(extAuthz, "ext_authz.cert_header", D.certHeader),
      userHeader: header(extAuthz, "ext_authz.user_header", D.userHeader),
      maxXfccElements: read.integer(extAuthz, "ext_authz.max_xfcc_elements", D.maxXfccElements, { min: 1, max: 256 }),
      maxHeaderBytes: read.integer(extAuthz, "ext_authz.max_header_bytes", D.maxHeaderBytes, { min: 1024, max: 1024 * 1024 }),
      headers: {
        user: header(principalHeaders, "ext_authz.headers.user", D.headers.user),
        userStore: header(principalHeaders, "ext_authz.headers.user_store", D.headers.userStore),
        tenant: header(principalHeaders, "ext_authz.headers.tenant", D.headers.tenant),
        qualifiedUser: header(principalHeaders, "ext_authz.headers.qualified_user", D.headers.qualifiedUser),
        fingerprint: header(principalHeaders, "ext_authz.headers.fingerprint", D.headers.fingerprint),
        spiffeId: header(principalHeaders, "ext_authz.headers.spiffe_id", D.headers.spiffeId),
      },
    },
    log: {
      level: level as LogLevel,
      audit: read.boolean(log, "log.audit", DEFAULTS.log.audit),
      expiryWarningDays: read.integer(log, "log.expiry_warning_days", DEFAULTS.log.expiryWarningDays, { min: 0, max: 3650 }),
    },
  };
  const accessControl = readAccessControl(read, { emailUsername: config.tenant.emailUsername });
  const problems = [...read.problems, ...crossFieldProblems(config), ...identityProblems({ ...config, accessControl })];
  if (problems.length > 0) throw new ConfigError(source, problems);
  return deepFreeze({ source, ...config, accessControl });
}

export function loadConfigFile(path: string): Config {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new ConfigError(path, [`cannot read config file: ${(error as NodeJS.ErrnoException).code ?? String(error)}`]);
  }
  return parseConfig(text, path, dirname(resolve(path)));
}
