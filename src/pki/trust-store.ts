// Trust anchors and the intermediate pool, indexed by subject name so that finding
// the candidate issuers of a certificate is one map lookup.
import type { Certificate } from "./certificate.ts";

export interface TrustStore {
  readonly anchors: readonly Certificate[];
  readonly intermediates: readonly Certificate[];
  anchorsNamed(nameKey: string): readonly Certificate[];
  intermediatesNamed(nameKey: string): readonly Certificate[];
}

/** Certificates by subject-name key, each certificate once (by fingerprint). */
export function indexBySubject(certificates: readonly Certificate[]): Map<string, Certificate[]> {
  const index = new Map<string, Certificate[]>();
  const seen = new Set<string>();
  for (const certificate of certificates) {
    if (seen.has(certificate.fingerprint)) continue;
    seen.add(certificate.fingerprint);
    const list = index.get(certificate.subject.key) ?? [];
    list.push(certificate);
    index.set(certificate.subject.key, list);
  }
  return index;
}

export function createTrustStore(anchors: readonly Certificate[], intermediates: readonly Certificate[] = []): TrustStore {
  const anchorIndex = indexBySubject(anchors);
  const intermediateIndex = indexBySubject(intermediates);
  return {
    anchors,
    intermediates,
    anchorsNamed: (nameKey) => anchorIndex.get(nameKey) ?? [],
    intermediatesNamed: (nameKey) => intermediateIndex.get(nameKey) ?? [],
  };
}
