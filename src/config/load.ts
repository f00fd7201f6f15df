// deployment.toml -> Config. The only place that knows the file format and its
// WSO2-derived key names. Defaults first, then per-key types, then cross-field rules.
import { availableParallelism } from "node:os";
import { dirname, resolve } from "node:path";
import { parse, TomlError } from "smol-toml";
import { DEFAULTS } from "../defaults.ts";
import type { KeyStoreType } from "../keystore/keystore.ts";
import { PROFILES, profileNamed } from "../pki/path/profile.ts";
import { REVOCATION_MODES, type RevocationMode } from "../pki/revocation/check.ts";
import { invalidExemptContext } from "../policy/exempt-context.ts";
import { ConfigError, LOG_LEVELS, type Config, type LogLevel } from "./config.ts";
import { readAccessControl } from "./access-control.ts";
import { identityProblems, readPrincipal, readTrustDomains } from "./identity.ts";
import { SHARED_TABLES, TABLES, TOP_LEVEL_TABLES } from "./tables.ts";
import { forwardAuthProblems, readForwardAuth } from "./forward-auth.ts";
import { readInputFile } from "./input-file.ts";
import { readTls, tlsProblems } from "./tls.ts";
import { TomlReader } from "./toml-reader.ts";

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

function crossFieldProblems(config: Omit<Config, "source" | "accessControl" | "ignored" | "warnings">): string[] {
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
  problems.push(...tlsProblems(config.server.tls, config.server.allowedCallerSans, "server"));
  if (config.truststore.caFiles.length === 0 && config.truststore.keyStore === undefined && config.trustDomains.length === 0)
    problems.push("truststore.ca_files: at least one trust anchor file is required (or a trust store file_name, or a [[trust_domain]])");
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
  problems.push(...forwardAuthProblems(config.forwardAuth, invalidListenAddress));
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

type Table = Record<string, unknown>;

/** A table by name, with its keys checked (shared tables also hold WSO2's keys, which are set aside). */
function tableOf(read: TomlReader, name: keyof typeof TABLES): Table {
  return read.table(name, TABLES[name], { shared: SHARED_TABLES.has(name) });
}

function readServer(read: TomlReader, baseDir: string): Config["server"] {
  const server = tableOf(read, "server");
  const tls = tableOf(read, "server.tls");
  return {
    listen: read.string(server, "server.listen", S.listen),
    maxChainLength: read.integer(server, "server.max_chain_length", S.maxChainLength, { min: 1, max: 32 }),
    maxRequestBytes: read.integer(server, "server.max_request_bytes", S.maxRequestBytes, { min: 1024, max: 16 * 1024 * 1024 }),
    maxCertificateBytes: read.integer(server, "server.max_certificate_bytes", S.maxCertificateBytes, { min: 512, max: 1024 * 1024 }),
    maxPathChecks: read.integer(server, "server.max_path_checks", S.maxPathChecks, { min: 1, max: 1024 }),
    maxConcurrentStreams: read.integer(server, "server.max_concurrent_streams", S.maxConcurrentStreams, { min: 1, max: 100_000 }),
    drainSeconds: read.integer(server, "server.drain_seconds", S.drainSeconds, { min: 0, max: 3600 }),
    allowedCallerSans: read.stringArray(server, "server.allowed_caller_sans", []),
    socketMode: parseInt(read.string(server, "server.socket_mode", S.socketMode), 8),
    tls: server.tls === undefined ? undefined : readTls(read, tls, "server.tls", baseDir),
    workers: readWorkers(read, server),
    maxConnectionAgeSeconds: read.integer(server, "server.max_connection_age_seconds", S.maxConnectionAgeSeconds, { min: 0, max: 86_400 * 7 }),
    maxConnectionAgeGraceSeconds: read.integer(server, "server.max_connection_age_grace_seconds", S.maxConnectionAgeGraceSeconds, { min: 0, max: 3600 }),
    maxConnectionIdleSeconds: read.integer(server, "server.max_connection_idle_seconds", S.maxConnectionIdleSeconds, { min: 0, max: 86_400 * 7 }),
    keepaliveSeconds: read.integer(server, "server.keepalive_seconds", S.keepaliveSeconds, { min: 0, max: 86_400 }),
  };
}

/** A number of workers, or "auto": one per core this process may use. */
function readWorkers(read: TomlReader, server: Table): number {
  if (server.workers === "auto") return availableParallelism();
  if (typeof server.workers === "string") {
    read.problems.push(`server.workers: must be a number of processes or "auto", found ${JSON.stringify(server.workers)}`);
    return S.workers;
  }
  return read.integer(server, "server.workers", S.workers, { min: 1, max: 256 });
}

function readRevocation(read: TomlReader, baseDir: string): Config["revocation"] {
  const revocation = tableOf(read, "revocation");
  const mode = read.string(revocation, "revocation.mode", R.mode);
  if (!REVOCATION_MODES.includes(mode as RevocationMode))
    read.problems.push(`revocation.mode: must be one of ${REVOCATION_MODES.join(", ")}, found ${JSON.stringify(mode)}`);
  return {
    mode: REVOCATION_MODES.includes(mode as RevocationMode) ? (mode as RevocationMode) : R.mode,
    crlFiles: read.stringArray(revocation, "revocation.crl_files", []).map((file) => resolve(baseDir, file)),
    crlDirs: read.stringArray(revocation, "revocation.crl_dirs", []).map((dir) => resolve(baseDir, dir)),
    fetch: read.boolean(revocation, "revocation.fetch", R.fetch),
    ocsp: read.boolean(revocation, "revocation.ocsp", R.ocsp),
    timeoutMs: read.integer(revocation, "revocation.timeout_ms", R.timeoutMs, { min: 50, max: 60_000 }),
    maxFetchBytes: read.integer(revocation, "revocation.max_fetch_bytes", R.maxFetchBytes, { min: 1024, max: 1024 * 1024 * 1024 }),
    failureBackoffSeconds: read.integer(revocation, "revocation.failure_backoff_seconds", R.failureBackoffSeconds, { min: 0, max: 86_400 }),
  };
}

const KEY_STORE_TYPES: readonly KeyStoreType[] = ["PKCS12", "JKS"];

/** WSO2's trust store: file_name (relative to the config's folder), password, type. */
function readKeyStoreFile(read: TomlReader, truststore: Table, baseDir: string): Config["truststore"]["keyStore"] {
  const file = read.string(truststore, "truststore.file_name", "");
  const type = read.string(truststore, "truststore.type", "").toUpperCase();
  if (type !== "" && !KEY_STORE_TYPES.includes(type as KeyStoreType))
    read.problems.push(`truststore.type: must be "PKCS12" or "JKS", found ${JSON.stringify(truststore.type)}`);
  if (file === "") {
    if (truststore.password !== undefined || truststore.type !== undefined) read.problems.push("truststore.file_name: required with password or type");
    return undefined;
  }
  if (truststore.password === undefined) read.problems.push('truststore.password: required with file_name (WSO2\'s default is "wso2carbon")');
  const stated = KEY_STORE_TYPES.includes(type as KeyStoreType) ? (type as KeyStoreType) : undefined;
  return { file: resolve(baseDir, file), password: read.string(truststore, "truststore.password", ""), type: stated };
}

function readTruststore(read: TomlReader, baseDir: string): Config["truststore"] {
  const truststore = tableOf(read, "truststore");
  const profileName = read.string(truststore, "truststore.profile", DEFAULTS.truststore.profile);
  const profile = profileNamed(profileName);
  if (profile === undefined)
    read.problems.push(`truststore.profile: must be one of ${PROFILES.join(", ")} ("compatible" is an alias of rfc5280), found ${JSON.stringify(profileName)}`);
  const files = (key: string) => read.stringArray(truststore, key, []).map((file) => resolve(baseDir, file));
  return {
    caFiles: files("truststore.ca_files"),
    intermediateFiles: files("truststore.intermediate_files"),
    keyStore: readKeyStoreFile(read, truststore, baseDir),
    allowSha1: read.boolean(truststore, "truststore.allow_sha1", DEFAULTS.truststore.allowSha1),
    requiredPolicies: read.stringArray(truststore, "truststore.required_policies", []),
    profile: profile ?? DEFAULTS.truststore.profile,
  };
}

/** Email usernames: certgate's [tenant] email_username or WSO2's [tenant_mgt] enable_email_domain, not both. */
function readTenant(read: TomlReader): Config["tenant"] {
  const tenant = tableOf(read, "tenant");
  const tenantMgt = tableOf(read, "tenant_mgt");
  if (tenant.email_username !== undefined && tenantMgt.enable_email_domain !== undefined)
    read.problems.push("tenant.email_username: set it or [tenant_mgt] enable_email_domain (WSO2's key), not both");
  const key = tenant.email_username !== undefined ? "tenant.email_username" : "tenant_mgt.enable_email_domain";
  return { emailUsername: read.boolean(tenant.email_username !== undefined ? tenant : tenantMgt, key, DEFAULTS.tenant.emailUsername) };
}

function readExtAuthz(read: TomlReader): Config["extAuthz"] {
  const extAuthz = tableOf(read, "ext_authz");
  const names = tableOf(read, "ext_authz.headers");
  const header = (table: Table, key: string, fallback: string) => read.string(table, key, fallback).toLowerCase();
  return {
    trustXfcc: read.boolean(extAuthz, "ext_authz.trust_xfcc", D.trustXfcc),
    trustClientCertHeaders: read.boolean(extAuthz, "ext_authz.trust_client_cert_headers", D.trustClientCertHeaders),
    certHeader: header(extAuthz, "ext_authz.cert_header", D.certHeader),
    userHeader: header(extAuthz, "ext_authz.user_header", D.userHeader),
    maxXfccElements: read.integer(extAuthz, "ext_authz.max_xfcc_elements", D.maxXfccElements, { min: 1, max: 256 }),
    maxHeaderBytes: read.integer(extAuthz, "ext_authz.max_header_bytes", D.maxHeaderBytes, { min: 1024, max: 1024 * 1024 }),
    headers: {
      user: header(names, "ext_authz.headers.user", D.headers.user),
      userStore: header(names, "ext_authz.headers.user_store", D.headers.userStore),
      tenant: header(names, "ext_authz.headers.tenant", D.headers.tenant),
      qualifiedUser: header(names, "ext_authz.headers.qualified_user", D.headers.qualifiedUser),
      fingerprint: header(names, "ext_authz.headers.fingerprint", D.headers.fingerprint),
      spiffeId: header(names, "ext_authz.headers.spiffe_id", D.headers.spiffeId),
    },
  };
}

function readLog(read: TomlReader): Config["log"] {
  const log = tableOf(read, "log");
  const level = read.string(log, "log.level", DEFAULTS.log.level);
  if (!LOG_LEVELS.includes(level as LogLevel)) read.problems.push(`log.level: must be one of ${LOG_LEVELS.join(", ")}, found ${JSON.stringify(level)}`);
  return {
    level: LOG_LEVELS.includes(level as LogLevel) ? (level as LogLevel) : DEFAULTS.log.level,
    audit: read.boolean(log, "log.audit", DEFAULTS.log.audit),
    expiryWarningDays: read.integer(log, "log.expiry_warning_days", DEFAULTS.log.expiryWarningDays, { min: 0, max: 3650 }),
  };
}

/**
 * Parses and validates a config document; relative file paths resolve against
 * `baseDir`. Tables and keys that are WSO2's and not certgate's are set aside in
 * `ignored`; every problem is reported at once.
 */
export function parseConfig(text: string, source: string, baseDir: string): Config {
  let document: Record<string, unknown>;
  try {
    document = parse(text) as Record<string, unknown>;
  } catch (error) {
    const detail = error instanceof TomlError ? `line ${error.line}, column ${error.column}: ${error.message.split("\n")[0]}` : String(error);
    throw new ConfigError(source, [`not valid TOML: ${detail}`]);
  }
  const read = new TomlReader(document);
  read.topLevel(TOP_LEVEL_TABLES);
  const validation = tableOf(read, "intermediate_cert_validation");
  const config = {
    server: readServer(read, baseDir),
    health: { listen: read.string(tableOf(read, "health"), "health.listen", DEFAULTS.health.listen) },
    revocation: readRevocation(read, baseDir),
    cache: {
      maxEntries: read.integer(tableOf(read, "cache"), "cache.max_entries", DEFAULTS.cache.maxEntries, { min: 0, max: 10_000_000 }),
      ttlSeconds: read.integer(tableOf(read, "cache"), "cache.ttl_seconds", DEFAULTS.cache.ttlSeconds, { min: 1, max: 86_400 }),
    },
    metrics: { listen: read.string(tableOf(read, "metrics"), "metrics.listen", DEFAULTS.metrics.listen) },
    truststore: readTruststore(read, baseDir),
    intermediateCertValidation: {
      enable: read.boolean(validation, "intermediate_cert_validation.enable", DEFAULTS.intermediateCertValidation.enable),
      certCns: read.stringArray(validation, "intermediate_cert_validation.cert_cns", []),
      exemptContexts: read.stringArray(validation, "intermediate_cert_validation.exempt_contexts", []),
    },
    tenant: readTenant(read),
    principal: readPrincipal(read),
    trustDomains: readTrustDomains(read, baseDir),
    extAuthz: readExtAuthz(read),
    forwardAuth: readForwardAuth(read, tableOf(read, "forward_auth"), tableOf(read, "forward_auth.tls"), baseDir),
    log: readLog(read),
  };
  const accessControl = readAccessControl(read, { emailUsername: config.tenant.emailUsername });
  const problems = [...read.problems, ...read.withoutKnockOns([...crossFieldProblems(config), ...identityProblems({ ...config, accessControl })])];
  if (problems.length > 0) throw new ConfigError(source, problems);
  return deepFreeze({ source, ...config, accessControl, ignored: [...new Set(read.ignored)].sort(), warnings: read.warnings });
}

export function loadConfigFile(path: string): Config {
  const file = readInputFile(path);
  if (!file.ok) throw new ConfigError(path, [file.problem]);
  return parseConfig(file.bytes.toString("utf8"), path, dirname(resolve(path)));
}
