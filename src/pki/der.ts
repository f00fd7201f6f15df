// The outer DER envelope of a certificate. node:crypto and the ASN.1 library both
// ignore bytes after the certificate; we refuse them so that two different byte
// strings never pass as the same certificate (and hash to different cache keys).
// Only the outermost tag and length are read here; the rest is the libraries' job.

/** Byte length announced by the outer SEQUENCE, or undefined when it is not one. */
function announcedLength(der: Uint8Array): number | undefined {
  if (der.length < 2 || der[0] !== 0x30) return undefined;
  const first = der[1] ?? 0;
  if (first < 0x80) return 2 + first;
  const count = first & 0x7f;
  // DER forbids the indefinite form (0x80) and lengths needing over 4 bytes here.
  if (count === 0 || count > 4 || der.length < 2 + count) return undefined;
  let length = 0;
  for (let i = 0; i < count; i++) length = length * 256 + (der[2 + i] ?? 0);
  // Minimal length encoding is a DER rule (X.690 10.1).
  if (length < 0x80 || (count > 1 && der[2] === 0)) return undefined;
  return 2 + count + length;
}

export function hasExactDerEnvelope(der: Uint8Array): boolean {
  return announcedLength(der) === der.length;
}
