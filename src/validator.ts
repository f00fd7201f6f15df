// One decision from one request: parse -> verify path -> policy -> principal.
// Pure: time comes in as an argument; nothing here logs, reads files or talks gRPC.
import { createHash } from "node:crypto";
import { LruCache } from "./lru-cache.ts";
import { decodeCertificate, type Certificate } from "./pki/certificate.ts";
import { verifyPath, type Purpose, type VerifiedPath } from "./pki/path.ts";
import { decodePemChain } from "./pki/pem.ts";
import type { TrustStore } from "./pki/trust-store.ts";
import { compileExemptContexts, type ExemptContexts } from "./policy/exempt-context.ts";
import { compileIntermediateCnAllowList, type IntermediateCnAllowList } from "./policy/intermediate-cn.ts";
import { normaliseRequestPath } from "./policy/request-path.ts";
import { principalFromCommonNames, principalFromName, type Principal, type PrincipalOptions } from "./principal/principal.ts";
import { httpStatusFor, type Failure, type Reason } from "./reason.ts";

export type ChainInput = { readonly pem: string } | { readonly der: readonly Uint8Array[] };

export interface ValidationRequest {
  readonly chain: ChainInput;
  /** The request path; query and fragment are ignored. */
  readonly context: string;
  readonly method: string;
  /** WSO2-Identity-User: honoured only where the CN check does not apply. */
  readonly userHeader?: string | undefined;
}

export interface ValidatorSettings {
  readonly trust: TrustStore;
  readonly maxChainLength: number;
  readonly allowSha1: boolean;
  readonly purpose: Purpose;
  readonly intermediateCnValidation: {
    readonly enable: boolean;
    readonly certCns: readonly string[];
    readonly exemptContexts: readonly string[];
  };
  readonly principal: PrincipalOptions;
  /** Decoded certificates kept between requests (keyed by DER SHA-256). */
  readonly certificateCacheSize?: number;
  /** Told of every cache lookup, for metrics. */
  readonly onCacheLookup?: (cache: "certificate", hit: boolean) => void;
}

/** Who the client is: always the leaf's facts; `principal` is absent when no user is named. */
export interface Identity {
  readonly principal: Principal | undefined;
  readonly subject: string;
  readonly issuer: string;
  readonly serialNumber: string;
  readonly fingerprint: string;
  readonly notAfter: Date;
}

export interface Decision {
  readonly allowed: boolean;
  readonly reason: Reason;
  readonly message: string;
  readonly httpStatus: 200 | 401 | 403;
  readonly exempt: boolean;
  readonly certIndex: number;
  readonly identity: Identity | undefined;
}

export interface Validator {
  validate(request: ValidationRequest, at: Date): Decision;
}

function deny(failure: Failure, exempt: boolean, identity?: Identity): Decision {
  return {
    allowed: false,
    reason: failure.reason,
    message: failure.message,
    httpStatus: httpStatusFor(failure.reason),
    exempt,
    certIndex: failure.certIndex,
    identity,
  };
}

function identityOf(leaf: Certificate, principal: Principal | undefined): Identity {
  return {
    principal,
    subject: leaf.subject.text,
    issuer: leaf.issuer.text,
    serialNumber: leaf.serialNumber,
    fingerprint: leaf.fingerprint,
    notAfter: leaf.notAfter,
  };
}

const DEFAULT_CERTIFICATE_CACHE = 10_000;

export function createValidator(settings: ValidatorSettings): Validator {
  const certificates = new LruCache<string, Certificate>(settings.certificateCacheSize ?? DEFAULT_CERTIFICATE_CACHE);
  const exemptContexts: ExemptContexts = compileExemptContexts(settings.intermediateCnValidation.exemptContexts);
  const allowList: IntermediateCnAllowList = compileIntermediateCnAllowList(settings.intermediateCnValidation.certCns);

  function decode(der: Uint8Array, index: number): Certificate | Failure {
    const fingerprint = createHash("sha256").update(der).digest("hex");
    const cached = certificates.get(fingerprint);
    settings.onCacheLookup?.("certificate", cached !== undefined);
    if (cached !== undefined) return cached;
    const decoded = decodeCertificate(der, index);
    if (!decoded.ok) return decoded;
    certificates.set(fingerprint, decoded.certificate);
    return decoded.certificate;
  }

  function parseChain(chain: ChainInput): Certificate[] | Failure {
    const ders = "pem" in chain ? decodePemChain(chain.pem) : { ok: true as const, certificates: chain.der };
    if (!ders.ok) return ders;
    if (ders.certificates.length === 0) return { ok: false, reason: "NO_CERTIFICATE", message: "no client certificate was presented", certIndex: -1 };
    // Refuse before decoding: an oversized chain should cost nothing.
    if (ders.certificates.length > settings.maxChainLength) {
      const count = ders.certificates.length;
      return { ok: false, reason: "CHAIN_TOO_LONG", message: `${count} certificates presented; max_chain_length is ${settings.maxChainLength}`, certIndex: -1 };
    }
    const out: Certificate[] = [];
    for (const [index, der] of ders.certificates.entries()) {
      const certificate = decode(der, index);
      if ("ok" in certificate) return certificate;
      out.push(certificate);
    }
    return out;
  }

  /** The CN check, or the asserted user where the CN check does not apply. */
  function principalFor(path: VerifiedPath, checkCn: boolean, userHeader: string | undefined): Principal | undefined | Failure {
    if (checkCn) {
      const refused = allowList.check({ commonNames: path.issuer.subject.commonNames, name: path.issuer.subject.text, certIndex: path.issuerIndex });
      if (refused !== undefined) return refused;
      const result = principalFromCommonNames(path.leaf.subject.commonNames, settings.principal);
      return result.ok ? result.principal : result;
    }
    if (userHeader === undefined || userHeader === "") return undefined;
    const result = principalFromName(userHeader, settings.principal);
    return result.ok ? result.principal : result;
  }

  return {
    validate(request, at) {
      const requestPath = normaliseRequestPath(request.context);
      if (!requestPath.ok) return deny(requestPath, false);
      const exempt = exemptContexts.match(requestPath.segments) !== undefined;
      const chain = parseChain(request.chain);
      if (!Array.isArray(chain)) return deny(chain, exempt);
      const path = verifyPath(chain, settings.trust, {
        at,
        maxChainLength: settings.maxChainLength,
        allowSha1: settings.allowSha1,
        purpose: settings.purpose,
      });
      if (!path.ok) return deny(path, exempt);
      const checkCn = settings.intermediateCnValidation.enable && !exempt;
      const principal = principalFor(path, checkCn, request.userHeader);
      if (principal !== undefined && "ok" in principal) return deny(principal, exempt, identityOf(path.leaf, undefined));
      const reason = "OK";
      const message = principal === undefined ? "chain verified; no user named" : `chain verified for ${principal.qualifiedUsername}`;
      return { allowed: true, reason, message, httpStatus: httpStatusFor(reason), exempt, certIndex: -1, identity: identityOf(path.leaf, principal) };
    },
  };
}
