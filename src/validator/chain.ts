// Stages 3 and 4: the presented chain as DER (PEM decoded once per distinct text),
// refused before hashing when empty or too long; then each certificate decoded once,
// the leaf strictly, the rest tolerantly.
import { chainKey } from "./decision-cache.ts";
import type { Certificate } from "../pki/certificate/certificate.ts";
import { decodePemChain } from "../pki/pem.ts";
import { fail, type Failure } from "../reason.ts";
import type { ChainInput } from "./decision.ts";
import { decodeOnce, type ChainBytes, type Memo } from "./memo.ts";

/** Stage 3: the presented chain as DER and its hash; empty and oversized chains are refused before hashing. */
export function chainOf(memo: Memo, input: ChainInput, maxChainLength: number): ChainBytes | Failure {
  if ("der" in input) return checkedChain(memo, input.der, maxChainLength);
  let known = memo.pemChains.get(input.pem);
  if (known === undefined) {
    const decoded = decodePemChain(input.pem);
    known = decoded.ok ? checkedChain(memo, decoded.certificates, maxChainLength) : decoded;
    memo.pemChains.set(input.pem, known);
  }
  return known;
}

function checkedChain(memo: Memo, ders: readonly Uint8Array[], maxChainLength: number): ChainBytes | Failure {
  if (ders.length === 0) return fail("NO_CERTIFICATE", "no client certificate was presented");
  if (ders.length > maxChainLength) return fail("CHAIN_TOO_LONG", `${ders.length} certificates presented; max_chain_length is ${maxChainLength}`);
  let key = memo.chainKeys.get(ders);
  if (key === undefined) {
    key = chainKey(ders);
    memo.chainKeys.set(ders, key);
  }
  return { ok: true, ders, key };
}

/** The presented chain decoded: the leaf, and the rest with gaps where a certificate did not decode. */
export interface DecodedChain {
  readonly ok: true;
  readonly leaf: Certificate;
  readonly chain: readonly (Certificate | undefined)[];
  /** Certificates after the leaf that did not decode; they only matter if no path is found without them. */
  readonly undecodable: readonly Failure[];
}

/**
 * Stage 4: each DER certificate decoded once, kept by fingerprint. The leaf must
 * decode; an extra certificate that does not (a malformed cross-certificate in the
 * bundle) is left out of the path search rather than refusing a path that does not need it.
 */
export function decodeChain(memo: Memo, ders: readonly Uint8Array[], maxCertificateBytes: number): DecodedChain | Failure {
  const chain: (Certificate | undefined)[] = [];
  const undecodable: Failure[] = [];
  for (const [index, der] of ders.entries()) {
    if (der.length > maxCertificateBytes) {
      return fail("CERTIFICATE_TOO_LARGE", `certificate ${index} is ${der.length} bytes; server.max_certificate_bytes is ${maxCertificateBytes}`, index);
    }
    const decoded = decodeOnce(memo, der, index);
    if (!decoded.ok && index === 0) return decoded;
    if (!decoded.ok) undecodable.push(decoded);
    chain.push(decoded.ok ? decoded.certificate : undefined);
  }
  return { ok: true, leaf: chain[0]!, chain, undecodable };
}
