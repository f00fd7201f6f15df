// Why a revocation source that existed could not be used: one shape for a CRL that
// is stale, a signature nobody certgate trusts made, a responder that did not answer.
// The reason classes are metric labels (certgate_revocation_unavailable_total); the
// detail is for people.

export type ProblemWhy = "unreachable" | "unparseable" | "stale" | "untrusted" | "unsupported" | "unknown";

export interface RevocationProblem {
  readonly sourceKind: "crl" | "ocsp";
  /** The source, for people and for reporting once per source: a URL, a file, or "CRL of <issuer>". */
  readonly source: string;
  readonly why: ProblemWhy;
  readonly detail: string;
}

export function problem(sourceKind: RevocationProblem["sourceKind"], source: string, why: ProblemWhy, detail: string): RevocationProblem {
  return { sourceKind, source, why, detail };
}
