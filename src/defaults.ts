// Every default, written once. The config reader fills a missing key from here, the
// command line falls back to it, the validator uses it for a setting left out: one
// name per knob, the TOML key in camelCase ([server] max_path_checks ->
// DEFAULTS.server.maxPathChecks -> ValidatorSettings.maxPathChecks).

export const DEFAULTS = {
  server: {
    listen: "127.0.0.1:50051",
    maxChainLength: 8,
    maxRequestBytes: 64 * 1024,
    maxCertificateBytes: 16 * 1024,
    /** Signature checks one path search may spend (many cross-signed candidates). */
    maxPathChecks: 32,
    maxConcurrentStreams: 100,
    drainSeconds: 10,
    socketMode: "0660",
    /** Serving processes (node:cluster); 1 = one process, no primary. */
    workers: 1,
    /** Connections are closed (GOAWAY) after this long, ±10%, so clients spread over replicas that were added since. */
    maxConnectionAgeSeconds: 300,
    /** Calls in flight on a connection past its age get this long to finish. */
    maxConnectionAgeGraceSeconds: 30,
    /** A connection with no call for this long is closed. */
    maxConnectionIdleSeconds: 600,
    /** Each connection is pinged this often; one that does not answer within 20 s is closed (a vanished peer). */
    keepaliveSeconds: 60,
  },
  truststore: {
    allowSha1: false,
    profile: "rfc5280",
  },
  intermediateCertValidation: {
    enable: true,
  },
  tenant: {
    emailUsername: false,
  },
  principal: {
    source: "cn",
  },
  resourceAccessControl: {
    defaultAccess: "deny",
  },
  clientCertificateBasedAuthentication: {
    /** Who may assert a user where the CN check does not apply: WSO2 IS 7.2's answer (a mapped certificate). */
    headerSemantics: "7.2",
  },
  cache: {
    maxEntries: 100_000,
    ttlSeconds: 300,
  },
  revocation: {
    mode: "soft_fail",
    fetch: false,
    ocsp: false,
    timeoutMs: 2000,
    /** A one-million-entry CRL from `openssl ca` is about 49 MB. */
    maxFetchBytes: 64 * 1024 * 1024,
    failureBackoffSeconds: 30,
  },
  health: {
    listen: "",
  },
  metrics: {
    listen: "127.0.0.1:9464",
  },
  log: {
    level: "info",
    audit: true,
    expiryWarningDays: 14,
  },
  forwardAuth: {
    listen: "",
    trustedProxies: ["127.0.0.1/32", "::1/128"],
    pathPrefix: "",
    socketMode: "0660",
    maxHeaderBytes: 64 * 1024,
    maxHeaders: 100,
    headersTimeoutMs: 5000,
    requestTimeoutMs: 10_000,
    /** nginx keeps an idle upstream connection 60 s, Traefik 90 s: the one that closes first must be the proxy. */
    keepAliveTimeoutSeconds: 120,
  },
  extAuthz: {
    trustXfcc: true,
    trustClientCertHeaders: false,
    certHeader: "",
    userHeader: "wso2-identity-user",
    maxXfccElements: 16,
    maxHeaderBytes: 32 * 1024,
    headers: {
      user: "x-certgate-user",
      userStore: "x-certgate-user-store",
      tenant: "x-certgate-tenant",
      qualifiedUser: "x-certgate-qualified-user",
      fingerprint: "x-certgate-fingerprint",
      spiffeId: "x-certgate-spiffe-id",
    },
  },
} as const;
