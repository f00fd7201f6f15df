// Revocation checking for a verified path, like a trusted PKI library does it:
// CRLs (RFC 5280 6.3, crl-status.ts) and OCSP (RFC 6960) from a store the edge fills
// (files, fetched, stapled), judged here synchronously. When a source must be
// fetched, the answer says so and the edge fetches within its timeout and asks again.
import type { KeyObject } from "node:crypto";
import { fail, type Failure } from "../../reason.ts";
import type { Certificate } from "../certificate/certificate.ts";
import type { Crl } from "./crl.ts";
import { crlStatus, type CrlSignerSource } from "./crl-status.ts";
import { judgeOcspResponse } from "./ocsp.ts";
import type { VerifiedPath } from "../path/validate.ts";
import { CRL_NUMBER_MISSING, DEFAULT_PROFILE, type Nonconformance, type Profile } from "../path/profile.ts";
import type { RevocationStore } from "./store.ts";

export type RevocationMode = "off" | "soft_fail" | "hard_fail" | "require";

export interface RevocationNeed {
  readonly kind: "crl" | "ocsp";
  readonly url: string;
  readonly certificate: Certificate;
  readonly issuer: Certificate;
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
  /** Told which evidence decided each certificate's status (`explain`). */
  readonly evidence?: (certificate: Certificate, ok: boolean, detail: string) => void;
  /** The truststore profile: under strict a CRL without cRLNumber cannot vouch. */
  readonly profile?: Profile;
}

export type RevocationResult =
  /** `warnings`: nonconforming CRLs that vouched (rfc5280 profile). */
  | { readonly ok: true; readonly until: number; readonly warnings: readonly Nonconformance[] }
  | Failure
  | { readonly ok: "fetch"; readonly needs: readonly RevocationNeed[] };

type Status =
  | { state: "good"; until: number; unnumbered: readonly Crl[] }
  | { state: "revoked"; reason: string; source: string }
  | { state: "unknown"; failed: string | undefined; needs: RevocationNeed[] };

/** Sources to fetch for `urls`, unless fetched recently; recent failures are reported instead. */
function fetchNeeds(kind: "crl" | "ocsp", urls: readonly string[], certificate: Certificate, issuer: Certificate, store: RevocationStore, at: Date, failures: string[]): RevocationNeed[] {
  const needs: RevocationNeed[] = [];
  for (const url of urls) {
    const attempt = store.attempt(url, at.getTime());
    if (attempt === undefined) needs.push({ kind, url, certificate, issuer });
    else if (attempt.why !== undefined) failures.push(attempt.why);
  }
  return needs;
}

/** OCSP answers held (fetched or stapled) always count; responders are asked only with ocsp = true. */
function ocspStatus(certificate: Certificate, issuer: Certificate, issuerKey: KeyObject | undefined, store: RevocationStore, options: RevocationOptions, failures: string[]): Status | number | undefined {
  const verdicts = store.ocspFor(certificate.serialNumber).map((response) => judgeOcspResponse(response, certificate, issuer, issuerKey, options.at));
  const revoked = verdicts.find((v) => v?.state === "revoked");
  if (revoked?.state === "revoked") return { state: "revoked", reason: revoked.reason, source: "OCSP" };
  let good: number | undefined;
  for (const verdict of verdicts) {
    if (verdict?.state === "good") good = Math.max(good ?? 0, verdict.until);
    else if (verdict?.state === "unusable") failures.push(verdict.why);
  }
  return good;
}

function statusOf(path: VerifiedPath, position: number, store: RevocationStore, options: RevocationOptions): Status {
  const certificate = path.path[position]!;
  const issuer = path.path[position + 1]!;
  const at = options.at;
  const failures: string[] = [];
  const needs: RevocationNeed[] = [];
  const ocsp = ocspStatus(certificate, issuer, path.keys[position + 1], store, options, failures);
  if (typeof ocsp === "object") options.evidence?.(certificate, false, `an OCSP answer says it is revoked (${ocsp.state === "revoked" ? ocsp.reason : ""})`);
  else if (ocsp !== undefined) options.evidence?.(certificate, true, `an OCSP answer says it is good until ${new Date(ocsp).toISOString()}`);
  if (typeof ocsp === "object") return ocsp;
  if (ocsp === undefined && options.ocsp) needs.push(...fetchNeeds("ocsp", certificate.ocspUrls, certificate, issuer, store, at, failures));
  const evidence = options.evidence;
  const crl = crlStatus(
    { certificate, position, path },
    { store, at, signers: options.crlSigners, profile: options.profile ?? DEFAULT_PROFILE, evidence: evidence === undefined ? undefined : (_, verdict, detail) => evidence(certificate, verdict === "covers", detail) },
  );
  if (crl.state === "revoked") return { state: "revoked", reason: crl.reason, source: "CRL" };
  if (crl.state === "unknown") failures.push(...crl.failures);
  const goodByCrl = crl.state === "good" ? crl.until : undefined;
  if (ocsp === undefined && goodByCrl === undefined && options.fetchCrls) needs.push(...fetchNeeds("crl", certificate.crlUrls, certificate, issuer, store, at, failures));
  const until = Math.min(ocsp ?? Infinity, goodByCrl ?? Infinity);
  if (until !== Infinity) return { state: "good", until, unnumbered: crl.state === "good" ? crl.unnumbered : [] };
  return { state: "unknown", failed: failures[0], needs };
}

/**
 * Every certificate of the path but the anchor. soft_fail denies only a definite
 * revocation; hard_fail also denies when a source existed but could not be used;
 * require denies unless every status is positively known.
 */
export function checkRevocation(path: VerifiedPath, store: RevocationStore, options: RevocationOptions): RevocationResult {
  if (options.mode === "off") return { ok: true, until: Infinity, warnings: [] };
  let until = Infinity;
  const warnings: Nonconformance[] = [];
  const needs: RevocationNeed[] = [];
  let unknown: Failure | undefined;
  for (let i = 0; i < path.path.length - 1; i++) {
    const certificate = path.path[i]!;
    const status = statusOf(path, i, store, options);
    const index = options.indexOf(certificate);
    if (status.state === "revoked") return fail("REVOKED", `"${certificate.subject.text}" is revoked (${status.source}, reason ${status.reason})`, index);
    if (status.state === "good") {
      until = Math.min(until, status.until);
      warnings.push(...status.unnumbered.map((crl) => unnumberedCrl(crl, index)));
      continue;
    }
    needs.push(...status.needs);
    const denies = options.mode === "require" || (options.mode === "hard_fail" && status.failed !== undefined);
    if (denies && unknown === undefined) {
      unknown = fail("REVOCATION_UNKNOWN", `revocation status of "${certificate.subject.text}" is unknown${status.failed === undefined ? "" : `: ${status.failed}`}`, index);
    }
  }
  if (needs.length > 0) return { ok: "fetch", needs };
  return unknown ?? { ok: true, until, warnings };
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
