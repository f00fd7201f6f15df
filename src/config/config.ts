// The typed, validated configuration. File paths are already resolved; the
// certificates they name are loaded separately (trust-material.ts).

import type { KeyStoreType } from "../keystore/keystore.ts";
import type { Profile } from "../pki/path/profile.ts";
import type { RevocationMode } from "../pki/revocation/check.ts";
import type { MappingRule, PrincipalSource } from "../principal/san-mapping.ts";
import type { ProxyName } from "../forwarded/presets.ts";
import type { AccessControlConfig } from "./access-control.ts";

export type LogLevel = "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";

export interface Config {
  /** Where the config came from, for messages ("built-in default" or a path). */
  readonly source: string;
  readonly server: {
    /** "host:port" or "unix:/path". */
    readonly listen: string;
    readonly maxChainLength: number;
    readonly maxRequestBytes: number;
    /** Larger presented certificates are refused before parsing. */
    readonly maxCertificateBytes: number;
    /** Signature checks one path search may spend (many cross-signed candidates). */
    readonly maxPathChecks: number;
    /** Concurrent calls (HTTP/2 streams) per client connection. */
    readonly maxConcurrentStreams: number;
    /** In-flight calls get this long to finish on SIGTERM/SIGINT. */
    readonly drainSeconds: number;
    /** When non-empty, only callers whose certificate has one of these SAN values get an answer. */
    readonly allowedCallerSans: readonly string[];
    /** Permission bits of a unix socket listener. */
    readonly socketMode: number;
    readonly tls: TlsConfig | undefined;
    /** Serving processes: 1 = this process alone; more = a node:cluster primary and that many workers. */
    readonly workers: number;
    /** 0 = never; otherwise connections are closed after this long (±10%), so they move to new replicas. */
    readonly maxConnectionAgeSeconds: number;
    readonly maxConnectionAgeGraceSeconds: number;
    /** 0 = never; otherwise a connection without calls for this long is closed. */
    readonly maxConnectionIdleSeconds: number;
    /** 0 = off; otherwise every connection is pinged this often and closed if the peer does not answer. */
    readonly keepaliveSeconds: number;
  };
  readonly truststore: {
    readonly caFiles: readonly string[];
    readonly intermediateFiles: readonly string[];
    /** WSO2's trust store ([truststore] file_name, password, type); undefined: none. */
    readonly keyStore: KeyStoreFile | undefined;
    readonly allowSha1: boolean;
    /** RFC 5280 user-initial-policy-set; empty: anyPolicy, no explicit policy required. */
    readonly requiredPolicies: readonly string[];
    /** "rfc5280" (default: section 4 nonconformance reported as warnings) or "strict" (refused). */
    readonly profile: Profile;
  };
  readonly intermediateCertValidation: {
    readonly enable: boolean;
    readonly certCns: readonly string[];
    readonly exemptContexts: readonly string[];
  };
  readonly tenant: {
    readonly emailUsername: boolean;
  };
  /** Which field of the leaf names the principal, and how a SAN maps to one. */
  readonly principal: {
    readonly source: PrincipalSource;
    readonly mappings: readonly MappingRule[];
  };
  /** [[trust_domain]]: SPIFFE trust domains, each with its own anchors. */
  readonly trustDomains: readonly TrustDomainConfig[];
  readonly extAuthz: ExtAuthzConfig;
  /** [forward_auth]: the HTTP listener nginx, Traefik, Caddy, HAProxy and Envoy's HTTP ext_authz ask. */
  readonly forwardAuth: ForwardAuthConfig;
  readonly accessControl: AccessControlConfig;
  readonly revocation: {
    readonly mode: RevocationMode;
    readonly crlFiles: readonly string[];
    readonly crlDirs: readonly string[];
    /** Fetch CRLs from the certificates' distribution points (HTTP). */
    readonly fetch: boolean;
    /** Ask the certificates' OCSP responders (and accept stapled answers). */
    readonly ocsp: boolean;
    readonly timeoutMs: number;
    readonly maxFetchBytes: number;
    /** A source that failed is not asked again for this long. */
    readonly failureBackoffSeconds: number;
  };
  readonly cache: {
    /** Decisions kept (LRU); 0 turns the decision cache off. */
    readonly maxEntries: number;
    /** No decision is reused longer than this after it was made. */
    readonly ttlSeconds: number;
  };
  readonly health: {
    /** A plaintext listener serving only grpc.health.v1 (for kubelet probes when the main port needs mTLS); "" = none. */
    readonly listen: string;
  };
  readonly metrics: {
    /** Prometheus HTTP listener ("host:port"), "" = off. */
    readonly listen: string;
  };
  readonly log: {
    readonly level: LogLevel;
    /** One info line per decision. */
    readonly audit: boolean;
    /** A client certificate allowed within this many days of its notAfter is logged (warn), once per certificate. */
    readonly expiryWarningDays: number;
  };
  /** Tables and keys of the file certgate does not use (WSO2's own), dotted and sorted: listed once at start and by `certgate check`. */
  readonly ignored: readonly string[];
  /** Valid settings worth a warning at start (a rule without http_method, which never matches). */
  readonly warnings: readonly string[];
}

export interface KeyStoreFile {
  readonly file: string;
  readonly password: string;
  /** As stated; undefined: read from the file. */
  readonly type: KeyStoreType | undefined;
}

export interface TrustDomainConfig {
  readonly name: string;
  readonly caFiles: readonly string[];
  /** A SPIFFE bundle (JWKS) file; undefined: none. */
  readonly bundleFile: string | undefined;
}

export interface TlsConfig {
  readonly certFile: string;
  readonly keyFile: string;
  readonly clientCaFiles: readonly string[];
  readonly requireClientCert: boolean;
}

export interface ExtAuthzConfig {
  /** Honour x-forwarded-client-cert; the proxy must sanitise it. */
  readonly trustXfcc: boolean;
  /** Honour RFC 9440 Client-Cert / Client-Cert-Chain; the proxy must sanitise them. */
  readonly trustClientCertHeaders: boolean;
  /** A single-certificate header (lower case), "" when off. */
  readonly certHeader: string;
  /** The asserted-user header (WSO2-Identity-User), lower case. */
  readonly userHeader: string;
  readonly maxXfccElements: number;
  /** A certificate-carrying header longer than this is refused (MALFORMED_CERTIFICATE). */
  readonly maxHeaderBytes: number;
  /** Upstream header names for the principal, lower case. */
  readonly headers: {
    readonly user: string;
    readonly userStore: string;
    readonly tenant: string;
    readonly qualifiedUser: string;
    readonly fingerprint: string;
    readonly spiffeId: string;
  };
}

export interface ForwardAuthConfig {
  /** "host:port" or "unix:/path"; "" = off. */
  readonly listen: string;
  /** The preset the three headers below come from (overridden where set). */
  readonly proxy: ProxyName;
  /** The one header carrying the client certificate (chain), lower case. */
  readonly certHeader: string;
  /** The original request URI, lower case; "" = the request's own path (Envoy). */
  readonly uriHeader: string;
  /** The original method, lower case; "" = the request's own method (Envoy). */
  readonly methodHeader: string;
  /** Stripped from the request's own path (Envoy's path_prefix). */
  readonly pathPrefix: string;
  /** CIDRs of the peers allowed to ask (not applied to a unix socket, which socket_mode guards). */
  readonly trustedProxies: readonly string[];
  /** When non-empty, only callers whose TLS certificate has one of these SAN values get an answer. */
  readonly allowedCallerSans: readonly string[];
  readonly socketMode: number;
  readonly tls: TlsConfig | undefined;
  /** The whole request head (request line and headers); more is answered 431. */
  readonly maxHeaderBytes: number;
  readonly maxHeaders: number;
  /** A client slower than this to send its headers, or its whole request, is answered 408 and closed. */
  readonly headersTimeoutMs: number;
  readonly requestTimeoutMs: number;
  /** An idle pooled connection is kept this long: longer than the proxy's own idle timeout, so the proxy closes first. */
  readonly keepAliveTimeoutSeconds: number;
}

export const LOG_LEVELS: readonly LogLevel[] = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];

/** Every problem found in a config, reported together. */
export class ConfigError extends Error {
  readonly problems: readonly string[];

  constructor(source: string, problems: readonly string[]) {
    super(`invalid configuration (${source}):\n  - ${problems.join("\n  - ")}`);
    this.name = "ConfigError";
    this.problems = problems;
  }
}
