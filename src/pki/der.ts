// The outer DER envelope of a certificate. node:crypto and the ASN.1 library both
// ignore bytes after the certificate; we refuse them so that two different byte
// strings never pass as the same certificate (and hash to different cache keys).
// Only the outermost tag and length are read here; the rest is the libraries' job.

/** Header size and total size of the SEQUENCE starting at `at`, or undefined when it is not one. */
function sequenceAt(der: Uint8Array, at: number): { header: number; total: number } | undefined {
  if (der.length < at + 2 || der[at] !== 0x30) return undefined;
  const first = der[at + 1] ?? 0;
  if (first < 0x80) return { header: 2, total: 2 + first };
  const count = first & 0x7f;
  // DER forbids the indefinite form (0x80) and lengths needing over 4 bytes here.
  if (count === 0 || count > 4 || der.length < at + 2 + count) return undefined;
  let length = 0;
  for (let i = 0; i < count; i++) length = length * 256 + (der[at + 2 + i] ?? 0);
  // Minimal length encoding is a DER rule (X.690 10.1).
  if (length < 0x80 || (count > 1 && der[at + 2] === 0)) return undefined;
  return { header: 2 + count, total: 2 + count + length };
}

function announcedLength(der: Uint8Array): number | undefined {
  return sequenceAt(der, 0)?.total;
}

/**
 * The exact bytes of the first element inside the outer SEQUENCE: the signed part
 * (TBSCertList, ResponseData) of a signed structure. Signatures cover these bytes
 * as received, so they are sliced, never re-encoded.
 */
export function firstInnerSequence(der: Uint8Array): Uint8Array | undefined {
  const outer = sequenceAt(der, 0);
  if (outer === undefined) return undefined;
  const inner = sequenceAt(der, outer.header);
  if (inner === undefined || outer.header + inner.total > outer.total) return undefined;
  return der.subarray(outer.header, outer.header + inner.total);
}

export function hasExactDerEnvelope(der: Uint8Array): boolean {
  return announcedLength(der) === der.length;
}
