// The X.509-SVID leaf rules (spiffe/spiffe standards/X509-SVID.md sections 2, 4 and
// 5.2): a leaf is an SVID when it carries a spiffe URI SAN, and then it must carry
// exactly one URI SAN holding a valid SPIFFE ID, must not be a CA, and must be a
// signing key only. These are checked before the path is built, because the SPIFFE
// ID's trust domain chooses the anchors the path must end at.
import { fail, type Failure } from "../../reason.ts";
import type { Certificate } from "../certificate/certificate.ts";
import { KEY_USAGE } from "../certificate/extensions.ts";
import { parseSpiffeId, type SpiffeId } from "./spiffe-id.ts";

/** `id` undefined: the leaf is not an SVID (no spiffe URI SAN). */
export type SvidCheck = { readonly ok: true; readonly id: SpiffeId | undefined } | Failure;

const NOT_AN_SVID: SvidCheck = { ok: true, id: undefined };

function invalid(why: string): Failure {
  return fail("INVALID_SVID", `not a valid X.509-SVID: ${why}`, 0);
}

/** The URI SANs of a certificate, in certificate order. */
export function uriNames(certificate: Certificate): string[] {
  return certificate.subjectAltNames.flatMap((name) => (name.type === "uri" ? [name.value] : []));
}

export function checkSvid(leaf: Certificate): SvidCheck {
  const uris = uriNames(leaf);
  // The scheme is compared without case so "SPIFFE://..." is refused as invalid, not waved through as a non-SVID.
  if (!uris.some((uri) => uri.slice(0, 7).toLowerCase() === "spiffe:")) return NOT_AN_SVID;
  if (uris.length !== 1) return invalid(`it has ${uris.length} URI SANs (${uris.map((uri) => JSON.stringify(uri)).join(", ")}); an SVID has exactly one`);
  const parsed = parseSpiffeId(uris[0]!);
  if (!parsed.ok) return invalid(`SPIFFE ID ${JSON.stringify(uris[0])} ${parsed.why}`);
  if (leaf.basicConstraints?.ca === true) return invalid("the leaf is a CA certificate (basicConstraints cA is true)");
  const usage = leaf.keyUsage;
  if (usage === undefined) return invalid("the leaf has no keyUsage extension (an SVID sets digitalSignature)");
  if ((usage & KEY_USAGE.digitalSignature) === 0) return invalid("keyUsage does not set digitalSignature");
  if ((usage & (KEY_USAGE.keyCertSign | KEY_USAGE.cRLSign)) !== 0) return invalid("keyUsage sets keyCertSign or cRLSign, which a leaf SVID must not");
  return { ok: true, id: parsed.id };
}
