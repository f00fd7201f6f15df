// The tables and keys of deployment.toml that certgate reads. The file is WSO2
// Identity Server's: the tables certgate owns are checked key by key (a slip is an
// error naming the key meant); the tables it shares with WSO2 ([server], [truststore],
// [tenant_mgt], [resource]) also hold WSO2's own keys, which are ignored and listed.

import { TLS_KEYS } from "./tls.ts";

export const TABLES = {
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
    "workers",
    "max_connection_age_seconds",
    "max_connection_age_grace_seconds",
    "max_connection_idle_seconds",
    "keepalive_seconds",
  ],
  "server.tls": TLS_KEYS,
  health: ["listen"],
  cache: ["max_entries", "ttl_seconds"],
  revocation: ["mode", "crl_files", "crl_dirs", "fetch", "ocsp", "timeout_ms", "max_fetch_bytes", "failure_backoff_seconds"],
  metrics: ["listen"],
  // file_name, password and type are WSO2's: its JKS or PKCS#12 trust store.
  truststore: ["ca_files", "intermediate_files", "allow_sha1", "required_policies", "profile", "file_name", "password", "type"],
  intermediate_cert_validation: ["enable", "cert_cns", "exempt_contexts"],
  tenant: ["email_username"],
  tenant_mgt: ["enable_email_domain"],
  ext_authz: ["trust_xfcc", "trust_client_cert_headers", "cert_header", "user_header", "max_xfcc_elements", "max_header_bytes", "headers"],
  forward_auth: [
    "listen",
    "proxy",
    "cert_header",
    "uri_header",
    "method_header",
    "path_prefix",
    "trusted_proxies",
    "allowed_caller_sans",
    "socket_mode",
    "tls",
    "max_header_bytes",
    "max_headers",
    "headers_timeout_ms",
    "request_timeout_ms",
    "keep_alive_timeout_seconds",
  ],
  "forward_auth.tls": TLS_KEYS,
  "ext_authz.headers": ["user", "user_store", "tenant", "qualified_user", "fingerprint", "spiffe_id"],
  principal: ["source", "mapping"],
  log: ["level", "audit", "expiry_warning_days"],
} as const;

/** Tables WSO2 keeps keys of its own in. */
export const SHARED_TABLES: ReadonlySet<string> = new Set(["server", "truststore", "tenant_mgt", "resource"]);

/** Top-level tables read by access-control.ts. */
export const ACCESS_CONTROL_TABLES = ["resource_access_control", "resource", "authorization", "client_certificate_based_authentication"] as const;

/** Every top-level table certgate reads; any other is WSO2's (or another product's) and ignored. */
export const TOP_LEVEL_TABLES: readonly string[] = [...Object.keys(TABLES).filter((key) => !key.includes(".")), ...ACCESS_CONTROL_TABLES, "trust_domain"];
