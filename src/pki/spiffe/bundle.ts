// A SPIFFE bundle (spiffe/spiffe standards/SPIFFE_Trust_Domain_and_Bundle.md section
// 4, X509-SVID.md section 6): a JWK Set whose keys with `use` "x509-svid" each carry
// one CA certificate in `x5c`. Those certificates are the trust domain's X.509
// anchors; keys of other uses (jwt-svid, or unknown) are skipped, as the spec asks.
// Anything malformed refuses the whole bundle: a half-read bundle is a silently
// different trust domain.

export type ParsedBundle =
  { readonly ok: true; readonly certificates: readonly Uint8Array[]; readonly sequence: number | undefined } | { readonly ok: false; readonly why: string };

const X509_SVID = "x509-svid";
/** RFC 7517 4.7: x5c holds base64 (not base64url) DER. */
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function invalid(why: string): ParsedBundle {
  return { ok: false, why };
}

/** The one certificate of an x509-svid key, or why it has not exactly one. */
function certificateOf(key: Record<string, unknown>, where: string): Uint8Array | string {
  const x5c = key.x5c;
  if (!Array.isArray(x5c) || x5c.length !== 1) return `${where}: an x509-svid key must hold exactly one certificate in x5c`;
  const text = x5c[0];
  if (typeof text !== "string" || text.length % 4 !== 0 || !BASE64.test(text)) return `${where}.x5c[0]: not base64`;
  return new Uint8Array(Buffer.from(text, "base64"));
}

export function parseSpiffeBundle(text: string): ParsedBundle {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    return invalid(`not JSON (${(error as Error).message})`);
  }
  if (!isObject(document)) return invalid("not a JSON object");
  const { keys, spiffe_sequence: sequence } = document;
  if (!Array.isArray(keys)) return invalid('has no "keys" array');
  if (sequence !== undefined && (typeof sequence !== "number" || !Number.isSafeInteger(sequence) || sequence < 0))
    return invalid("spiffe_sequence is not a non-negative integer");
  const certificates: Uint8Array[] = [];
  for (const [i, key] of keys.entries()) {
    const where = `keys[${i}]`;
    if (!isObject(key)) return invalid(`${where}: not a JSON object`);
    if (typeof key.kty !== "string" || key.kty === "") return invalid(`${where}: kty is missing`);
    // 4.2.2: `use` must be set; an unknown one means the key is for something else.
    if (typeof key.use !== "string") return invalid(`${where}: use is missing`);
    if (key.use !== X509_SVID) continue;
    const certificate = certificateOf(key, where);
    if (typeof certificate === "string") return invalid(certificate);
    certificates.push(certificate);
  }
  if (certificates.length === 0) return invalid("has no x509-svid keys (no X.509 authority for this trust domain)");
  return { ok: true, certificates, sequence };
}
