// Revocation checking for a verified path, like a trusted PKI library does it:
// CRLs (RFC 5280 6.3, crl-status.ts) and OCSP (RFC 6960) from a store the edge fills
// (files, fetched, stapled), judged here synchronously. When a source must be
// fetched, the answer says so and the edge fetches within its timeout and asks again.
import type { KeyObject } from "node:crypto";
import { fail, type Failure } from "../../reason.ts";
import type { Certificate } from "../certificate/certificate.ts";
import { DEFAULTS } from "../../defaults.ts";
import { CRL_NUMBER_MISSING, type Nonconformance, type Profile } from "../path/profile.ts";
import type { TrustStore } from "../path/trust-store.ts";
import type { VerifiedPath, VerifyOptions } from "../path/validate.ts";
import type { Crl } from "./crl.ts";
import { crlSignerSource } from "./crl-signers.ts";
import { crlStatus, type CrlSignerSource } from "./crl-status.ts";
import { judgeOcspResponse } from "./ocsp.ts";
import { problem, type RevocationProblem } from "./problem.ts";
import type { RevocationStore } from "./store.ts";

export const REVOCATION_MODES = ["off", "soft_fail", "hard_fail", "require"] as const;
export type RevocationMode = (typeof REVOCATION_MODES)[number];

export interface RevocationNeed {
  readonly kind: "crl" | "ocsp";
  readonly url: string;
  readonly certificate: Certificate;
  readonly issuer: Certificate;
}

/** How a piece of evidence bore on a certificate's status, for `explain`. */
export type EvidenceVerdict = "vouches" | "revokes" | "cannot vouch";
export type RevocationEvidence = (certificate: Certificate, verdict: EvidenceVerdict, detail: string) => void;

/** A source that existed for a certificate of the path but could not be used (unparseable, stale, unreachable, ...). */
export interface Unavailable extends RevocationProblem {
  readonly certIndex: number;
  readonly subject: string;
}

export interface RevocationOptions {
  readonly mode: RevocationMode;
  readonly at: Date;
  /** Ask the certificate's OCSP responders when no answer is held (held answers, e.g. stapled, always count). */
  readonly ocsp: boolean;
  /** Fetch CRLs from the certificate's distribution points when none is held. */
  readonly fetchCrls: boolean;
  readonly indexOf: (certificate: Certificate) => number;
  /** Certificates besides the path that may have signed a CRL; absent: only the path's own. */
  readonly crlSigners?: CrlSignerSource;
  readonly evidence?: RevocationEvidence | undefined;
  /** The truststore profile: under strict a CRL without cRLNumber cannot vouch. */
  readonly profile?: Profile;
}

/**
 * Nothing held revokes a certificate of the path, and the mode is satisfied: the
 * statuses hold until `until`. With `needs`, held evidence did not settle every
 * status: fetch these and check again. `unavailable`: sources that existed but could
 * not be used (under soft_fail the answer is still yes, and says so).
 */
export interface RevocationChecked {
  readonly ok: true;
  readonly until: number;
  /** Nonconforming CRLs that vouched (rfc5280 profile). */
  readonly warnings: readonly Nonconformance[];
  readonly needs: readonly RevocationNeed[];
  readonly unavailable: readonly Unavailable[];
}

/** A refusal (REVOKED, REVOCATION_UNKNOWN), with the sources that could not be used on the way. */
export interface RevocationRefused extends Failure {
  readonly unavailable: readonly Unavailable[];
}

export type RevocationResult = RevocationChecked | RevocationRefused;

type Status =
  | { state: "good"; until: number; unnumbered: readonly Crl[] }
  | { state: "revoked"; reason: string; source: string }
  | { state: "unknown"; failures: RevocationProblem[]; needs: RevocationNeed[] };

/** Sources to fetch for `urls`, unless fetched recently; recent failures are reported instead. */
function fetchNeeds(
  kind: "crl" | "ocsp",
  urls: readonly string[],
  certificate: Certificate,
  issuer: Certificate,
  store: RevocationStore,
  at: Date,
  failures: RevocationProblem[],
): RevocationNeed[] {
  const needs: RevocationNeed[] = [];
  for (const url of urls) {
    const attempt = store.attempt(url, at.getTime());
    if (attempt === undefined) needs.push({ kind, url, certificate, issuer });
    else if (attempt.problem !== undefined) failures.push(attempt.problem);
  }
  return needs;
}

/** OCSP answers held (fetched or stapled) always count; responders are asked only with ocsp = true. */
function ocspStatus(
  certificate: Certificate,
  issuer: Certificate,
  issuerKey: KeyObject | undefined,
  store: RevocationStore,
  options: RevocationOptions,
  failures: RevocationProblem[],
): Status | number | undefined {
  const verdicts = store.ocspFor(certificate.serialNumber).map((response) => judgeOcspResponse(response, certificate, issuer, issuerKey, options.at));
  const revoked = verdicts.find((v) => v?.state === "revoked");
  if (revoked?.state === "revoked") return { state: "revoked", reason: revoked.reason, source: "OCSP" };
  let good: number | undefined;
  for (const verdict of verdicts) {
    if (verdict?.state === "good") good = Math.max(good ?? 0, verdict.until);
    else if (verdict?.state === "unusable") failures.push(problem("ocsp", `OCSP answer for ${certificate.subject.text}`, verdict.why, verdict.detail));
  }
  return good;
}

function statusOf(path: VerifiedPath, position: number, store: RevocationStore, options: RevocationOptions): Status {
  const certificate = path.path[position]!;
  const issuer = path.path[position + 1]!;
  const { at, evidence } = options;
  const failures: RevocationProblem[] = [];
  const needs: RevocationNeed[] = [];
  const ocsp = ocspStatus(certificate, issuer, path.keys[position + 1], store, options, failures);
  if (typeof ocsp === "object") {
    evidence?.(certificate, "revokes", `an OCSP answer says it is revoked (${ocsp.state === "revoked" ? ocsp.reason : ""})`);
    return ocsp;
  }
  if (ocsp !== undefined) evidence?.(certificate, "vouches", `an OCSP answer says it is good until ${new Date(ocsp).toISOString()}`);
  if (ocsp === undefined && options.ocsp) needs.push(...fetchNeeds("ocsp", certificate.ocspUrls, certificate, issuer, store, at, failures));
  const crl = crlStatus(
    { certificate, position, path },
    {
      store,
      at,
      signers: options.crlSigners,
      profile: options.profile ?? DEFAULTS.truststore.profile,
      evidence: evidence === undefined ? undefined : (_, verdict, detail) => evidence(certificate, verdict, detail),
    },
  );
  if (crl.state === "revoked") return { state: "revoked", reason: crl.reason, source: "CRL" };
  if (crl.state === "unknown") failures.push(...crl.failures);
  const goodByCrl = crl.state === "good" ? crl.until : undefined;
  if (ocsp === undefined && goodByCrl === undefined && options.fetchCrls)
    needs.push(...fetchNeeds("crl", certificate.crlUrls, certificate, issuer, store, at, failures));
  const until = Math.min(ocsp ?? Infinity, goodByCrl ?? Infinity);
  if (until !== Infinity) return { state: "good", until, unnumbered: crl.state === "good" ? crl.unnumbered : [] };
  return { state: "unknown", failures, needs };
}

/**
 * Every certificate of the path but the anchor. soft_fail denies only a definite
 * revocation; hard_fail also denies when a source existed but could not be used;
 * require denies unless every status is positively known.
 */
export function checkRevocation(path: VerifiedPath, store: RevocationStore, options: RevocationOptions): RevocationResult {
  const checked = { ok: true as const, until: Infinity, warnings: [] as Nonconformance[], needs: [] as RevocationNeed[], unavailable: [] as Unavailable[] };
  if (options.mode === "off") return checked;
  let unknown: Failure | undefined;
  for (let i = 0; i < path.path.length - 1; i++) {
    const certificate = path.path[i]!;
    const status = statusOf(path, i, store, options);
    const index = options.indexOf(certificate);
    if (status.state === "revoked") {
      return {
        ...fail("REVOKED", `"${certificate.subject.text}" is revoked (${status.source}, reason ${status.reason})`, index),
        unavailable: checked.unavailable,
      };
    }
    if (status.state === "good") {
      checked.until = Math.min(checked.until, status.until);
      checked.warnings.push(...status.unnumbered.map((crl) => unnumberedCrl(crl, index)));
      continue;
    }
    checked.needs.push(...status.needs);
    checked.unavailable.push(...status.failures.map((failure) => ({ ...failure, certIndex: index, subject: certificate.subject.text })));
    const failed = status.failures[0]?.detail;
    const denies = options.mode === "require" || (options.mode === "hard_fail" && failed !== undefined);
    if (denies && unknown === undefined) {
      unknown = fail("REVOCATION_UNKNOWN", `revocation status of "${certificate.subject.text}" is unknown${failed === undefined ? "" : `: ${failed}`}`, index);
    }
  }
  // Sources still to fetch come first: the answer after fetching may differ.
  if (checked.needs.length > 0) return checked;
  return unknown === undefined ? checked : { ...unknown, unavailable: checked.unavailable };
}

export interface PathRevocationOptions {
  readonly store: RevocationStore;
  readonly mode: RevocationMode;
  readonly at: Date;
  readonly ocsp: boolean;
  readonly fetchCrls: boolean;
  readonly profile: Profile;
  /** How path validation was told to run: a CRL signer's own path is validated the same way. */
  readonly verify: VerifyOptions;
  readonly evidence?: RevocationEvidence | undefined;
}

/**
 * The revocation status of a verified path, with the certificates that may have
 * signed its CRLs (6.3.3 (f)): the presented ones, the intermediate pool and the
 * anchors, each on a valid path of its own to the same anchor and not revoked itself.
 */
export function checkPathRevocation(
  path: VerifiedPath,
  presented: readonly (Certificate | undefined)[],
  trust: TrustStore,
  options: PathRevocationOptions,
): RevocationResult {
  const { store, mode, at, profile } = options;
  const indexOf = (certificate: Certificate) => presented.findIndex((c) => c?.fingerprint === certificate.fingerprint);
  const crlSigners = crlSignerSource({
    trust,
    presented: presented.filter((certificate) => certificate !== undefined),
    verify: options.verify,
    // A CRL signer's own status is judged from held evidence only: its fetches are not waited for.
    notRevoked: (signerPath) => {
      const signer = checkRevocation(signerPath, store, { mode, at, ocsp: false, fetchCrls: false, indexOf, profile, crlSigners });
      return signer.ok && signer.needs.length === 0;
    },
  });
  return checkRevocation(path, store, { mode, at, ocsp: options.ocsp, fetchCrls: options.fetchCrls, indexOf, profile, crlSigners, evidence: options.evidence });
}

/** A CRL without cRLNumber vouched for the certificate at `certIndex`: reported like a nonconforming certificate. */
function unnumberedCrl(crl: Crl, certIndex: number): Nonconformance {
  return {
    rule: CRL_NUMBER_MISSING.id,
    section: CRL_NUMBER_MISSING.section,
    certIndex,
    subject: `CRL of ${crl.issuer.text}`,
    issuer: crl.issuer.text,
    fingerprint: crl.fingerprint,
    detail: `the CRL of "${crl.issuer.text}" (thisUpdate ${crl.thisUpdate.toISOString()}) has no cRLNumber`,
    fix: CRL_NUMBER_MISSING.fix,
  };
}
