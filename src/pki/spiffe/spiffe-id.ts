// SPIFFE IDs (spiffe/spiffe standards/SPIFFE-ID.md section 2): "spiffe://" + a
// trust domain + an optional path. Parsed strictly, never normalised: the same
// workload has exactly one spelling, so a comparison of strings is a comparison of
// identities (no percent-decoding, no case folding, no "." segments).

export interface SpiffeId {
  /** The whole ID, as written in the certificate. */
  readonly text: string;
  readonly trustDomain: string;
  /** "" or "/seg/seg". */
  readonly path: string;
}

export type ParsedSpiffeId = { readonly ok: true; readonly id: SpiffeId } | { readonly ok: false; readonly why: string };

const SCHEME = "spiffe://";
/** 2.3: implementations must accept up to 2048 bytes and may refuse longer. */
const MAX_ID_BYTES = 2048;
/** 2.1: the trust domain is at most 255 bytes. */
const MAX_TRUST_DOMAIN_BYTES = 255;
const TRUST_DOMAIN = /^[a-z0-9._-]+$/;
const SEGMENT = /^[A-Za-z0-9._-]+$/;

function invalid(why: string): ParsedSpiffeId {
  return { ok: false, why };
}

/** Why a trust domain name is not valid, or undefined. */
export function invalidTrustDomain(name: string): string | undefined {
  if (name === "") return "the trust domain is empty";
  if (name.length > MAX_TRUST_DOMAIN_BYTES) return `the trust domain is longer than ${MAX_TRUST_DOMAIN_BYTES} bytes`;
  if (!TRUST_DOMAIN.test(name))
    return `trust domain ${JSON.stringify(name)} may hold only lower-case letters, digits, ".", "-" and "_" (no port, user or upper case)`;
  return undefined;
}

export function parseSpiffeId(text: string): ParsedSpiffeId {
  if (text.length > MAX_ID_BYTES) return invalid(`longer than ${MAX_ID_BYTES} bytes`);
  if (!text.startsWith(SCHEME)) return invalid(`does not start with ${JSON.stringify(SCHEME)}`);
  const rest = text.slice(SCHEME.length);
  const slash = rest.indexOf("/");
  const trustDomain = slash === -1 ? rest : rest.slice(0, slash);
  const path = slash === -1 ? "" : rest.slice(slash);
  const badDomain = invalidTrustDomain(trustDomain);
  if (badDomain !== undefined) return invalid(badDomain);
  if (path !== "") {
    if (path === "/" || path.endsWith("/")) return invalid('the path ends with "/"');
    for (const segment of path.slice(1).split("/")) {
      if (segment === "") return invalid("the path has an empty segment");
      if (segment === "." || segment === "..") return invalid(`the path has a ${JSON.stringify(segment)} segment`);
      // Also refuses "%" (percent-encoding), "?" (a query) and "#" (a fragment).
      if (!SEGMENT.test(segment)) return invalid(`path segment ${JSON.stringify(segment)} may hold only letters, digits, ".", "-" and "_"`);
    }
  }
  return { ok: true, id: { text, trustDomain, path } };
}
