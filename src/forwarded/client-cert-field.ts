// RFC 9440 Client-Cert and Client-Cert-Chain: structured-field byte sequences
// (RFC 8941 sf-binary, ":base64:") of DER, the chain as a list, leaf excluded.
import { fail, type Failure } from "../reason.ts";

const SF_BINARY = /^:([A-Za-z0-9+/]*={0,2}):$/;

function sfBinary(item: string, field: string): Uint8Array | Failure {
  const match = SF_BINARY.exec(item.trim());
  if (match === null || match[1]!.length % 4 !== 0) return fail("MALFORMED_CERTIFICATE", `${field}: not an RFC 8941 byte sequence (:base64:)`);
  return new Uint8Array(Buffer.from(match[1]!, "base64"));
}

export type FieldChain = { readonly ok: true; readonly certificates: readonly Uint8Array[] } | Failure;

/** Undefined when Client-Cert is absent; Client-Cert-Chain alone is ignored (RFC 9440 2.3). */
export function chainFromClientCertFields(clientCert: string | undefined, clientCertChain: string | undefined, maxItems: number): FieldChain | undefined {
  if (clientCert === undefined || clientCert.trim() === "") return undefined;
  const leaf = sfBinary(clientCert, "Client-Cert");
  if (!(leaf instanceof Uint8Array)) return leaf;
  const items = clientCertChain === undefined || clientCertChain.trim() === "" ? [] : clientCertChain.split(",");
  if (items.length >= maxItems) return fail("CHAIN_TOO_LONG", `Client-Cert-Chain has ${items.length} items`);
  const certificates: Uint8Array[] = [leaf];
  for (const item of items) {
    const der = sfBinary(item, "Client-Cert-Chain");
    if (!(der instanceof Uint8Array)) return der;
    certificates.push(der);
  }
  return { ok: true, certificates };
}
