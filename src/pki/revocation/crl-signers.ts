// The certificates that may have signed a CRL when it is not the certificate's own
// issuer (RFC 5280 6.3.3 (f)): a separate CRL-signing key of the CA, an older or newer
// key of a CA that rolled its key over, or the issuer of an indirect CRL. Each must
// have a valid path to the trust anchor of the path being checked, and must not be
// revoked itself.
import type { Certificate } from "../certificate/certificate.ts";
import type { CrlSignerSource } from "./crl-status.ts";
import { verifyPath } from "../path/build.ts";
import type { VerifiedPath, VerifyOptions } from "../path/validate.ts";
import type { TrustStore } from "../path/trust-store.ts";

/** How deep a CRL signer's own revocation check may recurse into further CRL signers. */
const MAX_SIGNER_DEPTH = 2;

export interface CrlSignerOptions {
  readonly trust: TrustStore;
  /** The presented chain: a CRL signer may travel with the client's certificates. */
  readonly presented: readonly Certificate[];
  readonly verify: VerifyOptions;
  /** Whether a signer's path passes the revocation check the mode asks for. */
  readonly notRevoked: (path: VerifiedPath) => boolean;
}

export function crlSignerSource(options: CrlSignerOptions): CrlSignerSource {
  const visiting = new Set<string>();
  return {
    candidates: (nameKey) => [
      ...options.presented.filter((certificate) => certificate.subject.key === nameKey),
      ...options.trust.intermediatesNamed(nameKey),
      ...options.trust.anchorsNamed(nameKey),
    ],
    pathFor: (candidate, anchor) =>
      verifyPath([candidate, ...options.presented], options.trust, { ...options.verify, purpose: "any", requiredPolicies: [], anchor }),
    pathNotRevoked(path) {
      const signer = path.leaf.fingerprint;
      // The signer's own status is being decided by a CRL it signed: it cannot vouch for itself further.
      if (visiting.has(signer)) return true;
      if (visiting.size >= MAX_SIGNER_DEPTH) return false;
      visiting.add(signer);
      try {
        return options.notRevoked(path);
      } finally {
        visiting.delete(signer);
      }
    },
  };
}
