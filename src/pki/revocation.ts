// Revocation checking for a verified path, like a trusted PKI library does it:
// CRLs (RFC 5280 6.3) and OCSP (RFC 6960) from a store the edge fills (files,
// fetched, stapled), judged here synchronously. When a source must be fetched,
// the answer says so and the edge fetches within its timeout and asks again.
import { fail, type Failure } from "../reason.ts";
import type { Certificate } from "./certificate.ts";
import { KEY_USAGE } from "./extensions.ts";
import type { Crl } from "./crl.ts";
import { judgeOcspResponse, type OcspResponse } from "./ocsp.ts";
import type { VerifiedPath } from "./path.ts";
import { signedBy } from "./signed-data.ts";

export type RevocationMode = "off" | "soft_fail" | "hard_fail" | "require";

export interface RevocationNeed {
  readonly kind: "crl" | "ocsp";
  readonly url: string;
  readonly certificate: Certificate;
  readonly issuer: Certificate;
}

/** CRLs by issuer name, OCSP responses by serial, and sources that failed recently. */
export class RevocationStore {
  readonly #crls = new Map<string, Crl[]>();
  readonly #ocsp = new Map<string, OcspResponse[]>();
  readonly #attempts = new Map<string, { until: number; why: string | undefined }>();
  #epoch = 0;

  /** Changes whenever evidence that can revoke arrives (any CRL, an OCSP "revoked"): cached decisions keyed on it expire. */
  get epoch(): number {
    return this.#epoch;
  }

  addCrl(crl: Crl): void {
    this.#epoch++;
    const list = this.#crls.get(crl.issuer.key) ?? [];
    // Newest first, so the freshest usable CRL is found first.
    list.push(crl);
    list.sort((a, b) => b.thisUpdate.getTime() - a.thisUpdate.getTime());
    this.#crls.set(crl.issuer.key, list.slice(0, 8));
  }

  crlsFor(issuerKey: string): readonly Crl[] {
    return this.#crls.get(issuerKey) ?? [];
  }

  addOcspResponse(response: OcspResponse): void {
    if (response.singles.some((single) => single.status === "revoked")) this.#epoch++;
    for (const single of response.singles) this.#ocsp.set(single.serialNumber, [response, ...(this.#ocsp.get(single.serialNumber) ?? [])].slice(0, 4));
  }

  ocspFor(serialNumber: string): readonly OcspResponse[] {
    return this.#ocsp.get(serialNumber) ?? [];
  }

  /** A fetch of `url` happened (`why`: it failed); the source is not asked again until `until`. */
  recordAttempt(url: string, until: number, why?: string): void {
    this.#attempts.set(url, { until, why });
  }

  /** The recent attempt on `url`, if any: `why` is set when it failed. */
  attempt(url: string, at: number): { why: string | undefined } | undefined {
    const attempt = this.#attempts.get(url);
    return attempt !== undefined && at < attempt.until ? attempt : undefined;
  }

  /** Age in seconds of the newest CRL of each issuer, for metrics. */
  crlAges(at: number): { issuer: string; seconds: number }[] {
    return [...this.#crls.values()].map((list) => ({ issuer: list[0]!.issuer.text, seconds: (at - list[0]!.thisUpdate.getTime()) / 1000 }));
  }
}

export interface RevocationOptions {
  readonly mode: RevocationMode;
  readonly at: Date;
  /** Ask the certificate's OCSP responders when no answer is held (held answers, e.g. stapled, always count). */
  readonly ocsp: boolean;
  /** Fetch CRLs from the certificate's distribution points when none is held. */
  readonly fetchCrls: boolean;
  readonly indexOf: (certificate: Certificate) => number;
}

export type RevocationResult =
  | { readonly ok: true; readonly until: number }
  | Failure
  | { readonly ok: "fetch"; readonly needs: readonly RevocationNeed[] };

type Status =
  | { state: "good"; until: number }
  | { state: "revoked"; reason: string; source: string }
  | { state: "unknown"; failed: string | undefined; needs: RevocationNeed[] };

type CrlVerdict = { state: "good"; until: number } | { state: "revoked"; reason: string } | { state: "unusable"; why: string };

/** RFC 5280 6.3 for one CRL: issuer, signature, freshness, scope; then the serial. */
function judgeCrl(crl: Crl, certificate: Certificate, issuer: Certificate, at: Date, delta: Crl | undefined): CrlVerdict {
  if (crl.unusable !== undefined) return { state: "unusable", why: `CRL of "${crl.issuer.text}": ${crl.unusable}` };
  if (crl.scope.indirect) return { state: "unusable", why: `CRL of "${crl.issuer.text}" is indirect (not supported)` };
  if (issuer.keyUsage !== undefined && (issuer.keyUsage & KEY_USAGE.cRLSign) === 0) return { state: "unusable", why: `"${issuer.subject.text}" may not sign CRLs (keyUsage lacks cRLSign)` };
  if (!signedBy(crl.signed, issuer)) {
    return { state: "unusable", why: `CRL of "${crl.issuer.text}" is not signed by the issuing CA's key` };
  }
  if (crl.thisUpdate > at || crl.nextUpdate === undefined || at >= crl.nextUpdate) {
    return { state: "unusable", why: `CRL of "${crl.issuer.text}" is stale or not yet valid (thisUpdate ${crl.thisUpdate.toISOString()}, nextUpdate ${crl.nextUpdate?.toISOString() ?? "none"})` };
  }
  const isCa = certificate.basicConstraints?.ca === true;
  if ((crl.scope.onlyUser && isCa) || (crl.scope.onlyCa && !isCa)) return { state: "unusable", why: `CRL of "${crl.issuer.text}" does not cover this kind of certificate` };
  const deltaEntry = delta?.revoked.get(certificate.serialNumber);
  if (deltaEntry !== undefined) return deltaEntry.reason === "removeFromCRL" ? { state: "good", until: delta!.nextUpdate!.getTime() } : { state: "revoked", reason: deltaEntry.reason };
  const entry = crl.revoked.get(certificate.serialNumber);
  if (entry !== undefined && entry.reason !== "removeFromCRL") return { state: "revoked", reason: entry.reason };
  // A CRL limited to some reasons cannot say a certificate is good.
  if (crl.scope.partialReasons) return { state: "unusable", why: `CRL of "${crl.issuer.text}" covers only some reasons` };
  return { state: "good", until: Math.min(crl.nextUpdate.getTime(), delta?.nextUpdate?.getTime() ?? Infinity) };
}

/** A usable delta CRL for `base`, if one was loaded. */
function deltaFor(base: Crl, crls: readonly Crl[], issuer: Certificate, at: Date): Crl | undefined {
  return crls.find(
    (c) =>
      c.deltaBase !== undefined &&
      base.number !== undefined &&
      c.deltaBase <= base.number &&
      c.unusable === undefined &&
      c.nextUpdate !== undefined &&
      c.thisUpdate <= at &&
      at < c.nextUpdate &&
      signedBy(c.signed, issuer),
  );
}

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

function statusOf(certificate: Certificate, issuer: Certificate, store: RevocationStore, options: RevocationOptions): Status {
  const at = options.at;
  const failures: string[] = [];
  const needs: RevocationNeed[] = [];
  let good: number | undefined;
  // OCSP answers held (fetched or stapled) always count; responders are asked only with ocsp = true.
  const verdicts = store.ocspFor(certificate.serialNumber).map((response) => judgeOcspResponse(response, certificate, issuer, at));
  const revokedByOcsp = verdicts.find((v) => v?.state === "revoked");
  if (revokedByOcsp?.state === "revoked") return { state: "revoked", reason: revokedByOcsp.reason, source: "OCSP" };
  for (const verdict of verdicts) {
    if (verdict?.state === "good") good = Math.max(good ?? 0, verdict.until);
    else if (verdict?.state === "unusable") failures.push(verdict.why);
  }
  if (good === undefined && options.ocsp) needs.push(...fetchNeeds("ocsp", certificate.ocspUrls, certificate, issuer, store, at, failures));
  const crls = store.crlsFor(certificate.issuer.key);
  let goodByCrl: number | undefined;
  for (const crl of crls.filter((c) => c.deltaBase === undefined)) {
    const verdict = judgeCrl(crl, certificate, issuer, at, deltaFor(crl, crls, issuer, at));
    if (verdict.state === "revoked") return { state: "revoked", reason: verdict.reason, source: "CRL" };
    if (verdict.state === "good") {
      goodByCrl = verdict.until;
      break;
    }
    failures.push(verdict.why);
  }
  if (good === undefined && goodByCrl === undefined && options.fetchCrls) needs.push(...fetchNeeds("crl", certificate.crlUrls, certificate, issuer, store, at, failures));
  const until = Math.min(good ?? Infinity, goodByCrl ?? Infinity);
  if (until !== Infinity) return { state: "good", until };
  return { state: "unknown", failed: failures[0], needs };
}

/**
 * Every certificate of the path but the anchor. soft_fail denies only a definite
 * revocation; hard_fail also denies when a source existed but could not be used;
 * require denies unless every status is positively known.
 */
export function checkRevocation(path: VerifiedPath, store: RevocationStore, options: RevocationOptions): RevocationResult {
  if (options.mode === "off") return { ok: true, until: Infinity };
  let until = Infinity;
  const needs: RevocationNeed[] = [];
  let unknown: Failure | undefined;
  for (let i = 0; i < path.path.length - 1; i++) {
    const certificate = path.path[i]!;
    const status = statusOf(certificate, path.path[i + 1]!, store, options);
    const index = options.indexOf(certificate);
    if (status.state === "revoked") return fail("REVOKED", `"${certificate.subject.text}" is revoked (${status.source}, reason ${status.reason})`, index);
    if (status.state === "good") {
      until = Math.min(until, status.until);
      continue;
    }
    needs.push(...status.needs);
    const denies = options.mode === "require" || (options.mode === "hard_fail" && status.failed !== undefined);
    if (denies && unknown === undefined) {
      unknown = fail("REVOCATION_UNKNOWN", `revocation status of "${certificate.subject.text}" is unknown${status.failed === undefined ? "" : `: ${status.failed}`}`, index);
    }
  }
  if (needs.length > 0) return { ok: "fetch", needs };
  return unknown ?? { ok: true, until };
}
