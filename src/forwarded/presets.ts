// Which headers each proxy's forward-auth hook fills: the one that carries the
// client certificate, and those that carry the original request's URI and method
// ("" = the auth request's own, as Envoy's HTTP ext_authz sends the original
// request's method and path). From each proxy's documentation and source; the
// examples in examples/ set exactly these.
import type { ChainSource, Reading } from "./proxy-request.ts";

export const PROXIES = ["nginx", "ingress-nginx", "traefik", "caddy", "haproxy", "envoy"] as const;
export type ProxyName = (typeof PROXIES)[number];

export interface ProxyHeaders {
  /** The one header holding the client certificate (chain), lower case. */
  readonly certHeader: string;
  /** The original request URI (a path, or a whole URL), lower case; "" = the auth request's own path. */
  readonly uriHeader: string;
  /** The original method, lower case; "" = the auth request's own method. */
  readonly methodHeader: string;
}

export const PRESETS: Readonly<Record<ProxyName, ProxyHeaders>> = {
  // auth_request: the auth location sets these with proxy_set_header; nginx exposes the leaf only.
  nginx: { certHeader: "x-ssl-client-cert", uriHeader: "x-original-uri", methodHeader: "x-original-method" },
  // auth-url: X-Original-URL is $scheme://$http_host$request_uri; ssl-client-cert needs auth-tls-pass-certificate-to-upstream.
  "ingress-nginx": { certHeader: "ssl-client-cert", uriHeader: "x-original-url", methodHeader: "x-original-method" },
  // forwardAuth with passTLSClientCert{pem: true} before it.
  traefik: { certHeader: "x-forwarded-tls-client-cert", uriHeader: "x-forwarded-uri", methodHeader: "x-forwarded-method" },
  // forward_auth sets X-Forwarded-Method/-Uri itself; header_up X-Client-Cert {http.request.tls.client.certificate_der_base64}.
  caddy: { certHeader: "x-client-cert", uriHeader: "x-forwarded-uri", methodHeader: "x-forwarded-method" },
  // examples/haproxy/certgate.lua sends %[ssl_c_der,base64], the path and query, and the method.
  haproxy: { certHeader: "x-client-cert", uriHeader: "x-original-uri", methodHeader: "x-original-method" },
  // HTTP ext_authz: the original request, its path after path_prefix; XFCC under SANITIZE_SET.
  envoy: { certHeader: "x-forwarded-client-cert", uriHeader: "", methodHeader: "" },
};

/** How a certificate header is read, by its name: Envoy's XFCC, RFC 9440's Client-Cert (with Client-Cert-Chain), or one header of certificates. */
export function chainSourceFor(header: string): ChainSource {
  const name = header.toLowerCase();
  if (name === "x-forwarded-client-cert") return { kind: "xfcc", header: name };
  if (name === "client-cert") return { kind: "client-cert" };
  return { kind: "single", header: name };
}

/** What a forward-auth request is read with: exactly the preset's (or overridden) three headers, and the shared limits. */
export function forwardAuthReading(headers: ProxyHeaders, shared: Omit<Reading, "chain" | "uriHeader" | "methodHeader">): Reading {
  return { chain: [chainSourceFor(headers.certHeader)], uriHeader: headers.uriHeader, methodHeader: headers.methodHeader, ...shared };
}
