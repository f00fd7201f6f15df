// Trust anchors, pinned end-entity certificates and the intermediate pool, indexed
// so that finding the candidate issuers of a certificate is one map lookup.
import type { Certificate } from "../certificate/certificate.ts";
import { nonconformanceOf, selfSigned, type Nonconformance } from "./profile.ts";

export interface TrustStore {
  readonly anchors: readonly Certificate[];
  readonly intermediates: readonly Certificate[];
  /**
   * Self-signed end-entity certificates trusted for themselves only (a path of length
   * one), as a JSSE trust store entry or `openssl verify -CAfile` trusts them: they
   * never issue.
   */
  readonly pinned: readonly Certificate[];
  anchorsNamed(nameKey: string): readonly Certificate[];
  intermediatesNamed(nameKey: string): readonly Certificate[];
  isPinned(fingerprint: string): boolean;
}

/** Certificates by subject-name key, each certificate once (by fingerprint). */
export function indexBySubject(certificates: readonly (Certificate | undefined)[]): Map<string, Certificate[]> {
  const index = new Map<string, Certificate[]>();
  const seen = new Set<string>();
  for (const certificate of certificates) {
    if (certificate === undefined || seen.has(certificate.fingerprint)) continue;
    seen.add(certificate.fingerprint);
    const list = index.get(certificate.subject.key) ?? [];
    list.push(certificate);
    index.set(certificate.subject.key, list);
  }
  return index;
}

export function createTrustStore(anchors: readonly Certificate[], intermediates: readonly Certificate[] = [], pinned: readonly Certificate[] = []): TrustStore {
  const anchorIndex = indexBySubject(anchors);
  const intermediateIndex = indexBySubject(intermediates);
  const pinnedFingerprints = new Set(pinned.map((certificate) => certificate.fingerprint));
  return {
    anchors,
    intermediates,
    pinned,
    anchorsNamed: (nameKey) => anchorIndex.get(nameKey) ?? [],
    intermediatesNamed: (nameKey) => intermediateIndex.get(nameKey) ?? [],
    isPinned: (fingerprint) => pinnedFingerprints.has(fingerprint),
  };
}

/** Configured trusted certificates sorted by what they may do; `refused` ones are configuration errors. */
export interface SortedTrust {
  readonly anchors: readonly Certificate[];
  readonly pinned: readonly Certificate[];
  readonly refused: readonly { readonly certificate: Certificate; readonly why: string }[];
  /** Anchors and pinned certificates that break the profile's rules (strict: configuration errors; rfc5280: reported). */
  readonly nonconforming: readonly { readonly certificate: Certificate; readonly found: readonly Nonconformance[] }[];
}

/**
 * A CA certificate (or one without basicConstraints, a version 1 root) is an anchor;
 * a self-signed certificate with cA=FALSE is a pinned client certificate; any other
 * non-CA certificate cannot be trusted on its own and is refused.
 */
export function sortTrusted(certificates: readonly Certificate[], options: { readonly allowPinned: boolean }): SortedTrust {
  const anchors: Certificate[] = [];
  const pinned: Certificate[] = [];
  const refused: { certificate: Certificate; why: string }[] = [];
  const nonconforming: { certificate: Certificate; found: readonly Nonconformance[] }[] = [];
  for (const certificate of certificates) {
    const isCa = certificate.basicConstraints === undefined || certificate.basicConstraints.ca;
    if (!isCa && !(options.allowPinned && selfSigned(certificate))) {
      const why = options.allowPinned
        ? "not a CA certificate (basicConstraints cA is false) and not self-signed: only a self-signed client certificate can be pinned"
        : "not a CA certificate (basicConstraints cA is false)";
      refused.push({ certificate, why });
      continue;
    }
    (isCa ? anchors : pinned).push(certificate);
    const found = nonconformanceOf(certificate, { isAnchor: true, issues: isCa }, -1);
    if (found.length > 0) nonconforming.push({ certificate, found });
  }
  return { anchors, pinned, refused, nonconforming };
}
