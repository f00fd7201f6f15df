// A proxy's request, read into the validator's question: where the client's chain
// comes from, which path and method it asked for, whom it asserts. The one reading
// both adapters share (Envoy's gRPC ext_authz, the HTTP forward-auth listener).
// Only the headers a Reading names are read: a proxy passes the client's other
// headers along, so a certificate or a path in any other header is the client's
// claim, never evidence.
import { fail, type Failure } from "../reason.ts";
import type { ValidationRequest } from "../validator/decision.ts";
import { chainFromClientCertFields } from "./client-cert-field.ts";
import { certificatesFromHeader } from "./header-certificate.ts";
import { LongValueMemo } from "./value-memo.ts";
import { chainFromXfcc } from "./xfcc.ts";

/** Request headers by lower-case name; a repeated header as every value. */
export interface HeaderValues {
  get(name: string): string | readonly string[] | undefined;
}

export type ChainSource =
  /** Envoy's x-forwarded-client-cert. */
  | { readonly kind: "xfcc"; readonly header: string }
  /** RFC 9440 Client-Cert, with Client-Cert-Chain. */
  | { readonly kind: "client-cert" }
  /** The certificate the transport itself names (ext_authz's attributes.source.certificate). */
  | { readonly kind: "peer" }
  /** One header of certificates in any of the proxies' encodings (header-certificate.ts). */
  | { readonly kind: "single"; readonly header: string };

export interface Reading {
  /** Tried in order; the first that carries a certificate is the chain. */
  readonly chain: readonly ChainSource[];
  /** Lower case; "" = the request's own path (less `pathPrefix`). */
  readonly uriHeader: string;
  /** Lower case; "" = the request's own method. */
  readonly methodHeader: string;
  readonly pathPrefix: string;
  /** The asserted-user header (WSO2-Identity-User), lower case. */
  readonly userHeader: string;
  /** A certificate header longer than this is refused unread. */
  readonly maxHeaderBytes: number;
  readonly maxXfccElements: number;
}

export interface ProxyRequest {
  readonly headers: HeaderValues;
  /** The request's own method and path (for ext_authz: the original request's). */
  readonly method: string;
  readonly path: string;
  readonly peerCertificate?: string | undefined;
  /** Who the proxy says the TLS peer is (Envoy's attributes.source.principal). */
  readonly peerPrincipal?: string | undefined;
}

export type ReadRequest = { readonly ok: true; readonly request: ValidationRequest } | Failure;
type Chain = { readonly ok: true; readonly certificates: readonly Uint8Array[] } | Failure;

/** Most certificates one header may name (the validator's max_chain_length refuses long chains anyway). */
const MAX_HEADER_CERTIFICATES = 32;
const METHOD = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

const malformed = (why: string) => fail("MALFORMED_CERTIFICATE", why);
const badProxyHeader = (why: string) => fail("INVALID_PROXY_HEADER", why);

// A proxy sends the same header value for every request of a client: read each once. The
// same chain object comes back, so the validator hashes it once too.
const xfccChains = new LongValueMemo<{ readonly chain: Chain | undefined; readonly maxElements: number }>(1_024);
/** Per header name (messages name the header), its values read. */
const headerChains = new Map<string, LongValueMemo<Chain>>();

function memoizedXfcc(value: string, maxElements: number): Chain | undefined {
  const known = xfccChains.get(value);
  if (known !== undefined && known.maxElements === maxElements) return known.chain;
  const chain = chainFromXfcc(value, maxElements);
  xfccChains.set(value, { chain, maxElements });
  return chain;
}

/** A non-empty header value's certificates; undefined for a proxy's unexpanded placeholder (no certificate). */
function memoizedHeader(value: string, header: string): Chain | undefined {
  let chains = headerChains.get(header);
  if (chains === undefined) {
    chains = new LongValueMemo(1_024);
    headerChains.set(header, chains);
  }
  const known = chains.get(value);
  if (known !== undefined) return known;
  const chain = certificatesFromHeader(value, header, MAX_HEADER_CERTIFICATES);
  if (chain !== undefined) chains.set(value, chain);
  return chain;
}

/** The one value of a header; a Failure when it is repeated, which no proxy does for the headers it sets. */
function single(headers: HeaderValues, name: string, refuse: (why: string) => Failure): string | undefined | Failure {
  const value = headers.get(name);
  if (value === undefined || typeof value === "string") return value;
  if (value.length > 1) return refuse(`${name} appears ${value.length} times`);
  return value[0];
}

function certificateHeader(headers: HeaderValues, name: string, reading: Reading): string | undefined | Failure {
  const value = single(headers, name, malformed);
  if (typeof value === "string" && value.length > reading.maxHeaderBytes)
    return malformed(`${name} is ${value.length} bytes; ext_authz.max_header_bytes is ${reading.maxHeaderBytes}`);
  return value;
}

function readSource(request: ProxyRequest, source: ChainSource, reading: Reading): Chain | undefined {
  if (source.kind === "peer") {
    const peer = request.peerCertificate;
    if (peer === undefined || peer === "") return undefined;
    if (peer.length > reading.maxHeaderBytes) return malformed("the peer certificate is too long");
    return certificatesFromHeader(peer, "the peer certificate", MAX_HEADER_CERTIFICATES);
  }
  if (source.kind === "client-cert") {
    const leaf = certificateHeader(request.headers, "client-cert", reading);
    const chain = certificateHeader(request.headers, "client-cert-chain", reading);
    if (typeof leaf === "object") return leaf;
    if (typeof chain === "object") return chain;
    return chainFromClientCertFields(leaf, chain, MAX_HEADER_CERTIFICATES);
  }
  const value = certificateHeader(request.headers, source.header, reading);
  if (value === undefined || typeof value === "object") return value;
  if (value.trim() === "") return undefined;
  return source.kind === "xfcc" ? memoizedXfcc(value, reading.maxXfccElements) : memoizedHeader(value, source.header);
}

/** The first source that carries a certificate; undefined: none did (a NO_CERTIFICATE request). */
function chainOf(request: ProxyRequest, reading: Reading): Chain | undefined {
  for (const source of reading.chain) {
    const chain = readSource(request, source, reading);
    if (chain !== undefined) return chain;
  }
  return undefined;
}

/** The path and query of a URI header: origin form ("/a?b") or a whole http(s) URL (ingress-nginx's X-Original-URL). */
function pathOfUri(uri: string, header: string): string | Failure {
  if (uri.startsWith("/")) return uri;
  const absolute = /^https?:\/\/[^/?#]*(.*)$/i.exec(uri);
  if (absolute === null) return fail("INVALID_REQUEST_PATH", `${header} is neither a path nor an http(s) URL`);
  const rest = absolute[1]!;
  return rest === "" || rest.startsWith("?") ? `/${rest}` : rest.startsWith("#") ? "/" : rest;
}

function contextOf(request: ProxyRequest, reading: Reading): string | Failure {
  if (reading.uriHeader === "") {
    if (!request.path.startsWith(reading.pathPrefix))
      return badProxyHeader(`the request path does not start with forward_auth.path_prefix "${reading.pathPrefix}"`);
    const path = request.path.slice(reading.pathPrefix.length);
    return reading.pathPrefix !== "" && !path.startsWith("/") ? `/${path}` : path;
  }
  const uri = single(request.headers, reading.uriHeader, badProxyHeader);
  if (uri === undefined || uri === "") return badProxyHeader(`${reading.uriHeader} is missing: the proxy must send the original request URI there`);
  if (typeof uri === "object") return uri;
  return pathOfUri(uri.trim(), reading.uriHeader);
}

function methodOf(request: ProxyRequest, reading: Reading): string | Failure {
  if (reading.methodHeader === "") return request.method;
  const method = single(request.headers, reading.methodHeader, badProxyHeader);
  if (method === undefined || method === "") return badProxyHeader(`${reading.methodHeader} is missing: the proxy must send the original method there`);
  if (typeof method === "object") return method;
  return METHOD.test(method.trim()) ? method.trim() : badProxyHeader(`${reading.methodHeader} is not an HTTP method`);
}

/** The validator's question from a proxy's request; a Failure when the request cannot be read (never an allow). */
export function validationRequestOf(request: ProxyRequest, reading: Reading): ReadRequest {
  const context = contextOf(request, reading);
  if (typeof context === "object") return context;
  const method = methodOf(request, reading);
  if (typeof method === "object") return method;
  const user = single(request.headers, reading.userHeader, (why) => fail("INVALID_USERNAME", why));
  if (typeof user === "object") return user;
  const chain = chainOf(request, reading);
  if (chain !== undefined && !chain.ok) return chain;
  return {
    ok: true,
    request: { chain: { der: chain?.certificates ?? [] }, context, method, userHeader: user, peerPrincipal: request.peerPrincipal },
  };
}
