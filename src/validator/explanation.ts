// What an explained decision carries: every step the validator took, in order, the
// path it built, and on a refusal a hint an operator can act on. The pipeline hands
// each stage's result to the tracer (one call per stage), and all the wording lives
// here; a stage never writes to a trace. Collected only for requests that ask
// (`explain`); an unexplained request passes no tracer and pays nothing.
import type { Certificate } from "../pki/certificate/certificate.ts";
import type { TrustStore } from "../pki/path/trust-store.ts";
import type { CandidateOutcome, PathObserver, PathResult } from "../pki/path/validate.ts";
import type { EvidenceVerdict, RevocationMode, RevocationResult } from "../pki/revocation/check.ts";
import type { Anchoring } from "../pki/spiffe/anchoring.ts";
import type { PrincipalChoice } from "../principal/choice.ts";
import type { Failure, FailureReason } from "../reason.ts";
import type { DecodedChain } from "./chain.ts";
import type { CertificateSummary, Decision, Explanation, Route, TraceStage, TraceStep } from "./decision.ts";

/** One line about one certificate of the path, for people. */
export function describeCertificate(certificate: CertificateSummary): string {
  const where = certificate.anchor
    ? "trust anchor"
    : certificate.presentedIndex < 0
      ? "from the intermediate pool"
      : `presented #${certificate.presentedIndex}`;
  return [
    `subject "${certificate.subject}"`,
    `issuer "${certificate.issuer}"`,
    `serial ${certificate.serialNumber}`,
    `key ${certificate.key}`,
    `valid ${certificate.notBefore.toISOString()} to ${certificate.notAfter.toISOString()}`,
    `SHA-256 ${certificate.fingerprint}`,
    where,
  ].join("; ");
}

const CURVES: Readonly<Record<string, string>> = { prime256v1: "P-256", secp384r1: "P-384", secp521r1: "P-521" };

/** The key's type and size; loads the key, which only an explained request does for a leaf. */
export function keyDescription(certificate: Certificate): string {
  const key = certificate.publicKey;
  if (key === undefined) return certificate.inheritsKeyParameters ? "DSA (parameters inherited)" : `unloadable (${certificate.publicKeyAlgorithm})`;
  const details = key.asymmetricKeyDetails ?? {};
  switch (key.asymmetricKeyType) {
    case "rsa":
    case "rsa-pss":
      return `${key.asymmetricKeyType === "rsa" ? "RSA" : "RSA-PSS"} ${details.modulusLength ?? "?"}`;
    case "ec":
      return `EC ${CURVES[details.namedCurve ?? ""] ?? details.namedCurve ?? "?"}`;
    case "dsa":
      return `DSA ${details.modulusLength ?? "?"}`;
    case "ed25519":
      return "Ed25519";
    case "ed448":
      return "Ed448";
    default:
      return String(key.asymmetricKeyType);
  }
}

export function summarise(path: readonly Certificate[], indexOf: (certificate: Certificate) => number): CertificateSummary[] {
  return path.map((certificate, depth) => ({
    depth,
    subject: certificate.subject.text,
    issuer: certificate.issuer.text,
    serialNumber: certificate.serialNumber,
    key: keyDescription(certificate),
    notBefore: certificate.notBefore,
    notAfter: certificate.notAfter,
    fingerprint: certificate.fingerprint,
    // A pinned certificate is leaf and anchor at once.
    anchor: depth === path.length - 1,
    presentedIndex: indexOf(certificate),
  }));
}

const CANDIDATE_DETAIL: Readonly<Record<CandidateOutcome, string>> = {
  issuer: "signature verifies: taken as the issuer",
  "key identifier mismatch": "rejected: its subjectKeyIdentifier differs from the authorityKeyIdentifier",
  "bad signature": "rejected: the signature does not verify with its key",
  "not the required anchor": "rejected: not the trust anchor this path must end at",
  "signature budget spent": "not tried: the path search spent its signature checks (server.max_path_checks)",
  "already on the path": "skipped: already on the path",
};

const MAX_LISTED_ANCHORS = 20;

type Outcome = Failure | undefined | { readonly ok: true; readonly detail: string };

/** Collects the steps of one explained decision from the pipeline's stage results; it is the path observer too. */
export class Tracer implements PathObserver {
  readonly steps: TraceStep[] = [];
  path: readonly CertificateSummary[] = [];
  pathVerified = false;
  #indexOf: ((certificate: Certificate) => number) | undefined;

  #add(stage: TraceStage, check: string, outcome: Outcome, certIndex = -1): void {
    if (outcome === undefined) this.steps.push({ stage, certIndex, check, ok: true, detail: "" });
    else if (outcome.ok) this.steps.push({ stage, certIndex, check, ok: true, detail: outcome.detail });
    else this.steps.push({ stage, certIndex: outcome.certIndex, check, ok: false, detail: `${outcome.reason}: ${outcome.message}` });
  }

  /** Stage 1: the request path, its exempt context and its rule. */
  route(route: Route | Failure, request: { readonly context: string; readonly method: string }, rulesEnabled: boolean): void {
    if (!route.ok) {
      this.#add("route", `request path ${JSON.stringify(request.context)}`, route);
      return;
    }
    const { path, exemptBy, match } = route;
    this.#add("route", "request path", { ok: true, detail: `${request.method} ${path}` });
    this.#add("policy", "exempt context", {
      ok: true,
      detail: exemptBy === undefined ? "no intermediate_cert_validation.exempt_contexts entry matches" : `matches exempt context ${JSON.stringify(exemptBy)}`,
    });
    if (rulesEnabled) {
      this.#add("access", "resource rule", {
        ok: true,
        detail:
          match === undefined
            ? "no [[resource.access_control]] rule matches"
            : `rule ${match.index} ${JSON.stringify(match.rule.context)} (${match.rule.httpMethod}) matches`,
      });
    }
  }

  /** Stage 4: each presented certificate, decoded or not. */
  decoded(decoded: DecodedChain | Failure): void {
    if (!decoded.ok) {
      this.#add("input", `certificate ${Math.max(decoded.certIndex, 0)} decodes`, decoded);
      return;
    }
    const failures = [...decoded.undecodable];
    decoded.chain.forEach((certificate, index) => {
      const outcome =
        certificate === undefined ? failures.shift() : { ok: true as const, detail: `"${certificate.subject.text}" issued by "${certificate.issuer.text}"` };
      this.#add("input", `certificate ${index} decodes`, outcome, index);
    });
  }

  /** Stage 4b: which anchors the leaf must chain to (only traced with SPIFFE handling on). */
  anchoring(anchoring: Anchoring | Failure, spiffe: boolean): void {
    if (!spiffe) return;
    if (!anchoring.ok) {
      this.#add("check", "X.509-SVID rules", anchoring, 0);
      return;
    }
    const { spiffeId, trust } = anchoring;
    const detail =
      spiffeId === undefined
        ? "the leaf has no spiffe URI SAN: not an SVID; truststore.ca_files anchors"
        : `${spiffeId.text}: only trust domain ${spiffeId.trustDomain}'s ${trust.anchors.length} anchor(s) may end its path`;
    this.#add("check", "X.509-SVID rules", { ok: true, detail }, 0);
  }

  /** Stage 5: the path verified or not; for PATH_NOT_FOUND, the anchors no presented certificate names as its issuer. */
  verified(path: PathResult, trust: TrustStore, chain: readonly Certificate[]): void {
    this.pathVerified = path.ok;
    // The search may have looked past the path it chose (for one without warnings): describe the chosen one.
    if (path.ok && this.#indexOf !== undefined) this.path = summarise(path.path, this.#indexOf);
    if (path.ok || path.reason !== "PATH_NOT_FOUND") return;
    const wanted = new Set(chain.map((certificate) => certificate.issuer.key));
    const issuers = [...new Set(chain.map((certificate) => `"${certificate.issuer.text}"`))].join(", ");
    for (const anchor of trust.anchors.slice(0, MAX_LISTED_ANCHORS)) {
      if (wanted.has(anchor.subject.key)) continue;
      this.#add("path", `trust anchor "${anchor.subject.text}"`, {
        ok: false,
        reason: "PATH_NOT_FOUND",
        message: `name mismatch: no presented certificate names it as issuer (they name ${issuers})`,
        certIndex: -1,
      });
    }
  }

  /** Stage 6, as it goes: how each piece of evidence bore on a certificate. A CRL that cannot vouch refuses nothing by itself. */
  evidence(certificate: Certificate, certIndex: number, verdict: EvidenceVerdict, detail: string): void {
    const check = `status of "${certificate.subject.text}"`;
    if (verdict === "revokes") this.#add("revocation", check, { ok: false, reason: "REVOKED", message: detail, certIndex });
    else this.#add("revocation", check, { ok: true, detail: verdict === "cannot vouch" ? `not used: ${detail}` : detail }, certIndex);
  }

  /** Stage 6: the revocation result of the path. */
  revocation(result: RevocationResult, mode: RevocationMode): void {
    const check = `revocation (mode ${mode})`;
    if (!result.ok) {
      this.#add("revocation", check, result);
      return;
    }
    if (result.needs.length > 0) return;
    const unavailable = result.unavailable.map((source) => `#${source.certIndex} "${source.subject}": ${source.detail} (${source.why})`);
    const settled = mode === "off" ? "not checked" : "no certificate of the path is revoked";
    const detail = unavailable.length === 0 ? settled : `${settled}; without a usable status (allowed under ${mode}): ${unavailable.join("; ")}`;
    this.#add("revocation", check, { ok: true, detail });
  }

  /** Stage 7a: the proxy's peer against the verified SPIFFE ID. */
  peer(refused: Failure): void {
    this.#add("policy", "peer principal", refused, 0);
  }

  /** Stage 7b: the issuing CA's CN against the allow-list, or why it does not apply. */
  issuerCn(outcome: {
    readonly applies: boolean;
    readonly enabled: boolean;
    readonly refused: Failure | undefined;
    readonly issuer: Certificate;
    readonly issuerIndex: number;
  }): void {
    const check = "intermediate CN allow-list";
    if (!outcome.applies) {
      this.#add("policy", check, { ok: true, detail: outcome.enabled ? "not applied in an exempt context" : "intermediate_cert_validation is off" });
      return;
    }
    const cn = JSON.stringify(outcome.issuer.subject.commonNames[0] ?? "");
    this.#add("policy", check, outcome.refused ?? { ok: true, detail: `issuing CA CN ${cn} is in intermediate_cert_validation.cert_cns` }, outcome.issuerIndex);
  }

  /** Stage 7c: who the principal is, and from where. */
  principal(choice: PrincipalChoice | Failure, from: PrincipalChoice["from"]): void {
    const check = from === "san mapping" ? "principal mapping" : from === "leaf CN" ? "principal from the leaf CN" : "asserted user";
    this.#add("principal", check, choice.ok ? { ok: true, detail: choice.detail } : choice, from === "asserted user" ? -1 : 0);
  }

  /** Stage 7d: the matched rule's principals, tenant and grants. */
  access(refused: Failure | undefined, route: Route): void {
    this.#add(
      "access",
      "principals, tenant and grants",
      refused ?? { ok: true, detail: route.match === undefined ? "no rule applies" : "the matched rule allows it" },
    );
  }

  /** The answer, last. */
  decision(answer: Decision): void {
    this.#add(
      "decision",
      answer.reason,
      answer.allowed
        ? { ok: true, detail: answer.message }
        : { ok: false, reason: answer.reason as FailureReason, message: answer.message, certIndex: answer.certIndex },
    );
  }

  candidate(child: Certificate, issuer: Certificate, source: "anchor" | "presented" | "pool", outcome: CandidateOutcome): void {
    const where = source === "anchor" ? "trust anchor" : source === "presented" ? "presented certificate" : "intermediate pool";
    this.steps.push({
      stage: "path",
      certIndex: -1,
      check: `issuer candidate for "${child.subject.text}"`,
      ok: outcome === "issuer",
      detail: `${where} "${issuer.subject.text}" (SHA-256 ${issuer.fingerprint.slice(0, 16)}...): ${CANDIDATE_DETAIL[outcome]}`,
    });
  }

  candidatePath(path: readonly Certificate[], indexOf: (certificate: Certificate) => number): void {
    this.path = summarise(path, indexOf);
    this.#indexOf = indexOf;
  }

  check(certificate: Certificate | undefined, index: number, check: string, failure: Failure | undefined): void {
    const on = certificate === undefined ? "path" : `"${certificate.subject.text}"`;
    this.steps.push({
      stage: "check",
      certIndex: failure?.certIndex ?? index,
      check: `${check} on ${on}`,
      ok: failure === undefined,
      detail: failure === undefined ? "" : `${failure.reason}: ${failure.message}`,
    });
  }

  explanation(hint: string | undefined): Explanation {
    return { steps: this.steps, path: this.path, pathVerified: this.pathVerified, hint };
  }
}
