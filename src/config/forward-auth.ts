// [forward_auth]: the HTTP listener proxies ask (nginx auth_request, ingress-nginx
// auth-url, Traefik forwardAuth, Caddy forward_auth, HAProxy, Envoy's HTTP ext_authz).
// The preset fixes which headers are read; cert_header, uri_header and method_header
// override it one by one.
import { isIP } from "node:net";
import { DEFAULTS } from "../defaults.ts";
import { PRESETS, PROXIES, type ProxyName } from "../forwarded/presets.ts";
import type { ForwardAuthConfig } from "./config.ts";
import { readTls, tlsProblems } from "./tls.ts";
import type { TomlReader } from "./toml-reader.ts";

const F = DEFAULTS.forwardAuth;
const HEADER_NAME = /^[a-z0-9!#$%&'*+.^_`|~-]+$/;

/** "10.0.0.0/8", "::1/128", or a bare address (one host). */
export function invalidCidr(cidr: string): string | undefined {
  const [address = "", bits, ...rest] = cidr.split("/");
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return `${JSON.stringify(cidr)} is not an address or CIDR`;
  if (bits === undefined) return undefined;
  const max = family === 4 ? 32 : 128;
  return /^\d{1,3}$/.test(bits) && Number(bits) <= max ? undefined : `${JSON.stringify(cidr)}: the prefix length must be 0 to ${max}`;
}

function readProxy(read: TomlReader, table: Record<string, unknown>, listening: boolean): ProxyName {
  const proxy = read.string(table, "forward_auth.proxy", "");
  if (PROXIES.includes(proxy as ProxyName)) return proxy as ProxyName;
  if (proxy !== "" || listening)
    read.problems.push(`forward_auth.proxy: must be one of ${PROXIES.join(", ")} (which headers to read), found ${JSON.stringify(proxy)}`);
  return "nginx";
}

function readHeader(read: TomlReader, table: Record<string, unknown>, key: string, preset: string, options: { optional: boolean }): string {
  const name = read.string(table, `forward_auth.${key}`, preset).toLowerCase();
  if (name === "" && options.optional) return name;
  if (!HEADER_NAME.test(name)) read.problems.push(`forward_auth.${key}: ${JSON.stringify(name)} is not a valid HTTP header name`);
  return name;
}

function readLimits(read: TomlReader, table: Record<string, unknown>) {
  return {
    maxHeaderBytes: read.integer(table, "forward_auth.max_header_bytes", F.maxHeaderBytes, { min: 4096, max: 1024 * 1024 }),
    maxHeaders: read.integer(table, "forward_auth.max_headers", F.maxHeaders, { min: 10, max: 2000 }),
    headersTimeoutMs: read.integer(table, "forward_auth.headers_timeout_ms", F.headersTimeoutMs, { min: 100, max: 600_000 }),
    requestTimeoutMs: read.integer(table, "forward_auth.request_timeout_ms", F.requestTimeoutMs, { min: 100, max: 600_000 }),
    keepAliveTimeoutSeconds: read.integer(table, "forward_auth.keep_alive_timeout_seconds", F.keepAliveTimeoutSeconds, { min: 1, max: 3600 }),
  };
}

export function readForwardAuth(read: TomlReader, table: Record<string, unknown>, tls: Record<string, unknown>, baseDir: string): ForwardAuthConfig {
  const listen = read.string(table, "forward_auth.listen", F.listen);
  const proxy = readProxy(read, table, listen !== "");
  const preset = PRESETS[proxy];
  const trustedProxies = read.stringArray(table, "forward_auth.trusted_proxies", F.trustedProxies);
  trustedProxies.forEach((cidr, i) => {
    const why = invalidCidr(cidr);
    if (why !== undefined) read.problems.push(`forward_auth.trusted_proxies[${i}]: ${why}`);
  });
  return {
    listen,
    proxy,
    certHeader: readHeader(read, table, "cert_header", preset.certHeader, { optional: false }),
    uriHeader: readHeader(read, table, "uri_header", preset.uriHeader, { optional: true }),
    methodHeader: readHeader(read, table, "method_header", preset.methodHeader, { optional: true }),
    pathPrefix: read.string(table, "forward_auth.path_prefix", F.pathPrefix),
    trustedProxies,
    allowedCallerSans: read.stringArray(table, "forward_auth.allowed_caller_sans", []),
    socketMode: parseInt(read.string(table, "forward_auth.socket_mode", F.socketMode), 8),
    tls: table.tls === undefined ? undefined : readTls(read, tls, "forward_auth.tls", baseDir),
    ...readLimits(read, table),
  };
}

/** What can only be judged with the whole table read: checked when the listener is on. */
export function forwardAuthProblems(forwardAuth: ForwardAuthConfig, invalidListen: (listen: string) => string | undefined): string[] {
  if (forwardAuth.listen === "") return [];
  const problems: string[] = [];
  const listen = invalidListen(forwardAuth.listen);
  if (listen !== undefined) problems.push(`forward_auth.listen: ${listen}`);
  if (forwardAuth.trustedProxies.length === 0 && !forwardAuth.listen.startsWith("unix:"))
    problems.push('forward_auth.trusted_proxies: must name at least one peer (["0.0.0.0/0", "::/0"] admits any)');
  if (forwardAuth.pathPrefix !== "" && !forwardAuth.pathPrefix.startsWith("/")) problems.push("forward_auth.path_prefix: must start with /");
  if (forwardAuth.headersTimeoutMs > forwardAuth.requestTimeoutMs)
    problems.push("forward_auth.headers_timeout_ms: must not exceed request_timeout_ms (the headers are part of the request)");
  if (!Number.isInteger(forwardAuth.socketMode) || forwardAuth.socketMode < 0 || forwardAuth.socketMode > 0o777)
    problems.push('forward_auth.socket_mode: must be an octal permission string such as "0660"');
  problems.push(...tlsProblems(forwardAuth.tls, forwardAuth.allowedCallerSans, "forward_auth"));
  return problems;
}
