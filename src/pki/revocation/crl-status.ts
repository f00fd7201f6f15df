// CRL processing for one certificate of a verified path, RFC 5280 6.3.3: for each of
// its distribution points (then for CRLs of its issuer named in none), the CRLs that
// are in scope (issuer, distribution point names, certificate kind, indirect CRLs)
// add the reasons they cover, until every reason is covered or an entry revokes it.
// A CRL's signer need not be the certificate's issuer: any certificate of the CRL
// issuer's name with cRLSign and a valid path to the same trust anchor (6.3.3 (f)).
import type { KeyObject } from "node:crypto";
import type { Failure } from "../../reason.ts";
import type { Certificate } from "../certificate/certificate.ts";
import type { Crl, RevokedEntry } from "./crl.ts";
import { KEY_USAGE, type DistributionPoint } from "../certificate/extensions.ts";
import type { GeneralNameValue } from "../certificate/general-name.ts";
import { appendedNameKey, type DistinguishedName } from "../certificate/name.ts";
import type { VerifiedPath } from "../path/validate.ts";
import type { Profile } from "../path/profile.ts";
import { problem, type ProblemWhy, type RevocationProblem } from "./problem.ts";
import type { RevocationStore } from "./store.ts";
import { signedBy } from "../certificate/signature.ts";

/** ReasonFlags (5.2.5) keyCompromise (bit 1) through aACompromise (bit 8); bit 0 is unused. */
export const ALL_REASONS = 0x1fe;

/** Where certificates that may have signed a CRL come from, and how their own paths are validated. */
export interface CrlSignerSource {
  /** Certificates of this subject name outside the path: presented ones, the intermediate pool, anchors. */
  candidates(nameKey: string): readonly Certificate[];
  /** A valid path from `candidate` to `anchor`, as for any certificate (purpose "any"). */
  pathFor(candidate: Certificate, anchor: Certificate): VerifiedPath | Failure;
  /** Whether every certificate of a CRL signer's own path (but its anchor) is not revoked, as far as the mode requires. */
  pathNotRevoked(path: VerifiedPath): boolean;
}

/** The certificate whose status is asked, where it sits, and the path it was verified on. */
export interface CrlTarget {
  readonly certificate: Certificate;
  /** Its index in `path.path` (its issuer is the next one). */
  readonly position: number;
  readonly path: VerifiedPath;
}

export type CrlStatus =
  | { readonly state: "revoked"; readonly reason: string }
  /** `unnumbered`: CRLs without cRLNumber that vouched (rfc5280 profile), to be reported. */
  | { readonly state: "good"; readonly until: number; readonly unnumbered: readonly Crl[] }
  | { readonly state: "unknown"; readonly failures: readonly RevocationProblem[] };

export interface CrlStatusOptions {
  readonly store: RevocationStore;
  readonly at: Date;
  readonly signers: CrlSignerSource | undefined;
  /** strict: a CRL without cRLNumber revokes but does not vouch. */
  readonly profile: Profile;
  readonly evidence?: CrlEvidence | undefined;
}

interface Signer {
  readonly certificate: Certificate;
  readonly key: KeyObject;
}

type Verdict =
  | { readonly state: "revoked"; readonly reason: string }
  | { readonly state: "covered"; readonly reasons: number; readonly until: number }
  | { readonly state: "skip" }
  | { readonly state: "unusable"; readonly problem: RevocationProblem };

const SKIP: Verdict = { state: "skip" };

/** A name in a form two distribution point names can be compared by (6.3.3 (b)(2)(i)). */
function nameKey(name: GeneralNameValue): string {
  return name.type === "dn" ? `dn:${name.value.key}` : `${name.type}:${name.value}`;
}

/** The names a DistributionPointName stands for; a relative name is appended to `base` (4.2.1.13). */
function pointNames(point: Pick<DistributionPoint, "fullName" | "relativeName">, base: DistinguishedName): string[] {
  if (point.fullName !== undefined) return point.fullName.map(nameKey);
  if (point.relativeName !== undefined) return [`dn:${appendedNameKey(base, point.relativeName)}`];
  return [];
}

function directoryNames(names: readonly GeneralNameValue[] | undefined): DistinguishedName[] {
  return (names ?? []).flatMap((name) => (name.type === "dn" ? [name.value] : []));
}

/** For CRLs named in no distribution point: a point named by the certificate issuer, all reasons, no cRLIssuer. */
function issuerPoint(certificate: Certificate): DistributionPoint {
  return { fullName: [{ type: "dn", value: certificate.issuer }], relativeName: undefined, reasons: undefined, crlIssuer: undefined };
}

/** 6.3.3 (b): whether `crl` covers `certificate` as listed at `point`. */
function inScope(crl: Crl, point: DistributionPoint, certificate: Certificate): boolean {
  const crlIssuers = directoryNames(point.crlIssuer);
  if (crlIssuers.length > 0) {
    if (!crlIssuers.some((name) => name.key === crl.issuer.key) || crl.scope?.indirect !== true) return false;
  } else if (crl.issuer.key !== certificate.issuer.key) {
    return false;
  }
  const scope = crl.scope;
  if (scope === undefined) return true;
  if (scope.name !== undefined) {
    const idpNames = new Set(pointNames(scope.name, crl.issuer));
    const dpNames =
      point.fullName !== undefined || point.relativeName !== undefined
        ? pointNames(point, crlIssuers[0] ?? certificate.issuer)
        : (point.crlIssuer ?? []).map(nameKey);
    if (!dpNames.some((name) => idpNames.has(name))) return false;
  }
  const isCa = certificate.basicConstraints?.ca === true;
  if ((scope.onlyUser && isCa) || (scope.onlyCa && !isCa)) return false;
  return !scope.onlyAttribute;
}

/** 6.3.3 (d): the reasons this CRL speaks for at this distribution point. */
function interimReasons(crl: Crl, point: DistributionPoint): number {
  return (crl.scope?.onlySomeReasons ?? ALL_REASONS) & (point.reasons ?? ALL_REASONS) & ALL_REASONS;
}

const fresh = (crl: Crl, at: Date) => crl.thisUpdate <= at && crl.nextUpdate !== undefined && at < crl.nextUpdate;

/** 6.3.3 (f)-(g): a certificate that may sign CRLs, whose key verifies this one, with a valid path to the same anchor. */
function findSigner(crl: Crl, target: CrlTarget, signers: CrlSignerSource | undefined, failures: RevocationProblem[]): Signer | undefined {
  const { path, position } = target;
  const anchor = path.path[path.path.length - 1]!;
  const onPath = path.path.flatMap((certificate, index) =>
    index > position && certificate.subject.key === crl.issuer.key ? [{ certificate, key: path.keys[index] }] : [],
  );
  const elsewhere = (signers?.candidates(crl.issuer.key) ?? [])
    .filter((candidate) => !onPath.some((known) => known.certificate.fingerprint === candidate.fingerprint))
    .map((certificate) => ({ certificate, key: certificate.publicKey }));
  let why = `no certificate of the CRL issuer "${crl.issuer.text}" is known`;
  for (const { certificate, key } of [...onPath, ...elsewhere]) {
    if (certificate.keyUsage !== undefined && (certificate.keyUsage & KEY_USAGE.cRLSign) === 0) {
      why = `"${certificate.subject.text}" may not sign CRLs (keyUsage lacks cRLSign)`;
      continue;
    }
    if (key === undefined || !signedBy(crl.signed, certificate, key)) {
      why = `CRL of "${crl.issuer.text}" is not signed by the key of "${certificate.subject.text}"`;
      continue;
    }
    // On the path above the certificate, the signer's validity and status are checked with the path.
    if (onPath.some((known) => known.certificate === certificate)) return { certificate, key };
    const signerPath = signers?.pathFor(certificate, anchor);
    if (signerPath === undefined || !signerPath.ok) {
      const detail = signerPath === undefined || signerPath.ok ? "" : `: ${signerPath.message}`;
      why = `the CRL signer "${certificate.subject.text}" has no valid path to the trust anchor${detail}`;
      continue;
    }
    if (!signers!.pathNotRevoked(signerPath)) {
      why = `the CRL signer "${certificate.subject.text}" is revoked or its status is unknown`;
      continue;
    }
    return { certificate, key };
  }
  failures.push(crlProblem(crl, "untrusted", why));
  return undefined;
}

/** 6.3.3 (c): a delta CRL that updates `base`: same issuer, scope and key identifier, signed by the same signer, current. */
function deltaFor(base: Crl, crls: readonly Crl[], signer: Signer, at: Date): Crl | undefined {
  return crls.find(
    (delta) =>
      delta.deltaBase !== undefined &&
      base.number !== undefined &&
      delta.number !== undefined &&
      delta.deltaBase <= base.number &&
      base.number < delta.number &&
      delta.scope?.encoding === base.scope?.encoding &&
      delta.authorityKeyId === base.authorityKeyId &&
      delta.unusable === undefined &&
      fresh(delta, at) &&
      signedBy(delta.signed, signer.certificate, signer.key),
  );
}

/** 6.3.3 (i)-(k): the entry for the certificate, the delta CRL's first; removeFromCRL unrevokes. */
function entryFor(certificate: Certificate, crl: Crl, delta: Crl | undefined): RevokedEntry | undefined {
  const { issuer, serial } = certificate;
  const entry = delta?.revoked.lookup(issuer.key, serial) ?? crl.revoked.lookup(issuer.key, serial);
  return entry?.reason === "removeFromCRL" ? undefined : entry;
}

interface Judging extends CrlStatusOptions {
  reasons: number;
  readonly failures: RevocationProblem[];
}

function judge(crl: Crl, point: DistributionPoint, target: CrlTarget, context: Judging): Verdict {
  const { certificate } = target;
  if (crl.deltaBase !== undefined || !inScope(crl, point, certificate)) return SKIP;
  const reasons = interimReasons(crl, point);
  if ((reasons & ~context.reasons) === 0) return SKIP;
  const signer = findSigner(crl, target, context.signers, context.failures);
  if (signer === undefined) return SKIP;
  const delta = deltaFor(crl, context.store.crlsFor(crl.issuer.key), signer, context.at);
  const entry = entryFor(certificate, crl, delta);
  // A CRL that may not vouch (stale, nonconforming) still proves a revocation it lists.
  if (entry !== undefined) return { state: "revoked", reason: entry.reason };
  if (crl.unusable !== undefined) return { state: "unusable", problem: crlProblem(crl, "unsupported", `CRL of "${crl.issuer.text}": ${crl.unusable}`) };
  if (crl.numberMissing && context.profile === "strict") {
    const why = `CRL of "${crl.issuer.text}": no cRLNumber extension (RFC 5280 5.2.3; truststore.profile = "rfc5280" lets it vouch)`;
    return { state: "unusable", problem: crlProblem(crl, "unsupported", why) };
  }
  if (!fresh(crl, context.at)) {
    return {
      state: "unusable",
      problem: crlProblem(crl, "stale", `CRL of "${crl.issuer.text}" is stale or not yet valid (${crlDates(crl)})`),
    };
  }
  return { state: "covered", reasons, until: Math.min(crl.nextUpdate!.getTime(), delta?.nextUpdate?.getTime() ?? Infinity) };
}

/** How a CRL was used, for `explain`. */
export type CrlEvidence = (crl: Crl, verdict: "vouches" | "revokes" | "cannot vouch", detail: string) => void;

const describeCrl = (crl: Crl) => `CRL of "${crl.issuer.text}"${crl.number === undefined ? "" : ` #${crl.number}`} (${crlDates(crl)})`;

function crlDates(crl: Crl): string {
  return `thisUpdate ${crl.thisUpdate.toISOString()}, nextUpdate ${crl.nextUpdate?.toISOString() ?? "none"}`;
}

/** The status the held CRLs give `target.certificate` at `options.at`. */
export function crlStatus(target: CrlTarget, options: CrlStatusOptions): CrlStatus {
  const { certificate } = target;
  const { store, evidence } = options;
  const context: Judging = { ...options, reasons: 0, failures: [] };
  const unnumbered: Crl[] = [];
  let until = Infinity;
  for (const point of [...certificate.distributionPoints, issuerPoint(certificate)]) {
    const issuers = directoryNames(point.crlIssuer);
    const names = issuers.length > 0 ? issuers : [certificate.issuer];
    for (const crl of names.flatMap((name) => store.crlsFor(name.key))) {
      if (context.reasons === ALL_REASONS) break;
      const verdict = judge(crl, point, target, context);
      if (verdict.state === "revoked") {
        evidence?.(crl, "revokes", `${describeCrl(crl)} lists it (${verdict.reason})`);
        return verdict;
      }
      if (verdict.state === "unusable") {
        evidence?.(crl, "cannot vouch", verdict.problem.detail);
        context.failures.push(verdict.problem);
      }
      if (verdict.state !== "covered") continue;
      evidence?.(crl, "vouches", `${describeCrl(crl)} does not list it${crl.numberMissing ? " (it has no cRLNumber: reported)" : ""}`);
      if (crl.numberMissing) unnumbered.push(crl);
      context.reasons |= verdict.reasons;
      until = Math.min(until, verdict.until);
    }
  }
  if (context.reasons === ALL_REASONS) return { state: "good", until, unnumbered };
  if (context.reasons !== 0) {
    context.failures.push(
      problem("crl", `CRLs of ${certificate.issuer.text}`, "unsupported", `the CRLs of "${certificate.issuer.text}" do not cover every revocation reason`),
    );
  }
  return { state: "unknown", failures: context.failures };
}

function crlProblem(crl: Crl, why: ProblemWhy, detail: string): RevocationProblem {
  return problem("crl", `CRL of ${crl.issuer.text}`, why, detail);
}
