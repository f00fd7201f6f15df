// Revocation evidence held between requests: CRLs by issuer name, OCSP answers by
// serial number, and the sources that failed recently. The edge fills it (files,
// fetches, stapled answers); the core reads it.
import { LruCache } from "../../lru-cache.ts";
import type { Crl } from "./crl.ts";
import type { OcspResponse } from "./ocsp.ts";
import type { RevocationProblem } from "./problem.ts";

/** CRLs kept per issuer name: partitioned (by reason or distribution point) and delta CRLs share a name. */
const CRLS_PER_ISSUER = 16;
/** Serial numbers with OCSP answers kept: stapled answers arrive with requests and must not grow without bound. */
const OCSP_SERIALS = 10_000;

/** What one issuer's CRLs hold, for the gauges operators size pods by. */
export interface CrlHoldings {
  readonly issuer: string;
  readonly entries: number;
  /** The DER kept (the index points into it) and the index arrays. */
  readonly derBytes: number;
  readonly indexBytes: number;
}

export class RevocationStore {
  readonly #crls = new Map<string, Crl[]>();
  /** The CRL each fetched URL gave last: a refetch replaces it rather than piling up beside it. */
  readonly #bySource = new Map<string, Crl>();
  readonly #ocsp = new LruCache<string, OcspResponse[]>(OCSP_SERIALS);
  readonly #attempts = new Map<string, { until: number; problem: RevocationProblem | undefined }>();
  #epoch = 0;

  /** Changes whenever evidence that can revoke arrives (any CRL, an OCSP "revoked"): cached decisions keyed on it expire. */
  get epoch(): number {
    return this.#epoch;
  }

  /** Holds `crl`; `source` (a fetched URL) replaces what that source gave before. The same CRL twice is held once. */
  addCrl(crl: Crl, source?: string): void {
    this.#epoch++;
    const previous = source === undefined ? undefined : this.#bySource.get(source);
    if (source !== undefined) this.#bySource.set(source, crl);
    if (previous !== undefined) this.#remove(previous);
    const list = (this.#crls.get(crl.issuer.key) ?? []).filter((held) => held.fingerprint !== crl.fingerprint);
    // Newest first (by thisUpdate, then cRLNumber), so a newer CRL of a scope is judged
    // before the one it replaces; an older one is only reached when a newer cannot be used.
    list.push(crl);
    list.sort((a, b) => b.thisUpdate.getTime() - a.thisUpdate.getTime() || Number((b.number ?? 0n) - (a.number ?? 0n)));
    this.#crls.set(crl.issuer.key, list.slice(0, CRLS_PER_ISSUER));
  }

  #remove(crl: Crl): void {
    const list = this.#crls.get(crl.issuer.key)?.filter((held) => held !== crl) ?? [];
    if (list.length > 0) this.#crls.set(crl.issuer.key, list);
    else this.#crls.delete(crl.issuer.key);
  }

  /** Complete and delta CRLs whose issuer field is `issuerKey`, newest first. */
  crlsFor(issuerKey: string): readonly Crl[] {
    return this.#crls.get(issuerKey) ?? [];
  }

  /** Entries and memory held per issuer. */
  crlHoldings(): CrlHoldings[] {
    return [...this.#crls.values()].map((list) => ({
      issuer: list[0]!.issuer.text,
      entries: list.reduce((sum, crl) => sum + crl.revoked.count, 0),
      derBytes: list.reduce((sum, crl) => sum + crl.der.byteLength, 0),
      indexBytes: list.reduce((sum, crl) => sum + crl.revoked.bytes, 0),
    }));
  }

  addOcspResponse(response: OcspResponse): void {
    if (response.singles.some((single) => single.status === "revoked")) this.#epoch++;
    for (const single of response.singles) this.#ocsp.set(single.serialNumber, [response, ...(this.#ocsp.get(single.serialNumber) ?? [])].slice(0, 4));
  }

  ocspFor(serialNumber: string): readonly OcspResponse[] {
    return this.#ocsp.get(serialNumber) ?? [];
  }

  /** A fetch of `url` happened (`problem`: it failed); the source is not asked again until `until`. */
  recordAttempt(url: string, until: number, problem?: RevocationProblem): void {
    this.#attempts.set(url, { until, problem });
  }

  /** The recent attempt on `url`, if any: `problem` is set when it failed. */
  attempt(url: string, at: number): { problem: RevocationProblem | undefined } | undefined {
    const attempt = this.#attempts.get(url);
    return attempt !== undefined && at < attempt.until ? attempt : undefined;
  }

  /** Seconds until the nextUpdate of the newest CRL of each issuer (negative: past it, the CRL is stale), for metrics; none without one. */
  crlNextUpdates(at: number): { issuer: string; seconds: number }[] {
    return [...this.#crls.values()].flatMap((list) => {
      const next = list[0]!.nextUpdate;
      return next === undefined ? [] : [{ issuer: list[0]!.issuer.text, seconds: (next.getTime() - at) / 1000 }];
    });
  }

  /** Age in seconds of the newest CRL of each issuer, for metrics. */
  crlAges(at: number): { issuer: string; seconds: number }[] {
    return [...this.#crls.values()].map((list) => ({ issuer: list[0]!.issuer.text, seconds: (at - list[0]!.thisUpdate.getTime()) / 1000 }));
  }
}
