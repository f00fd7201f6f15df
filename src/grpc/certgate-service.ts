// certgate.v1.CertificateValidator: wire request -> ValidationRequest -> Decision
// -> wire response. Contract violations are gRPC errors; every certificate problem
// is an answer with allowed=false.
import * as grpc from "@grpc/grpc-js";
import { decisionView } from "../validator/decision-view.ts";
import type { Explanation } from "../validator/decision.ts";
import { describeCertificate } from "../validator/explanation.ts";
import type { RevocationFetcher } from "../fetch/revocation-fetcher.ts";
import { validateWithFetch } from "../fetch/validate-with-fetch.ts";
import { callerIdentity } from "./caller.ts";
import { EncodedResponses, type Encode } from "./response-encoding.ts";
import type { Decision, ValidationRequest, Validator } from "../validator/validator.ts";

export interface WireValidateRequest {
  pem: string;
  der: Buffer[];
  context: string;
  method: string;
  user_header?: string;
  ocsp_responses: Buffer[];
  explain?: boolean;
}

export interface DecisionEvent {
  readonly rpc: string;
  readonly decision: Decision;
  readonly context: string;
  readonly method: string;
  readonly durationMs: number;
  /** The asserted user (WSO2-Identity-User) the request carried, if any. */
  readonly userHeader: string | undefined;
  /** The caller of certgate (its certificate's first SAN or CN, else its address); computed on demand. */
  caller(): string;
}

export interface ServiceDeps {
  validator(): Validator;
  now(): Date;
  /** Fetches CRLs and OCSP answers the validator asks for; absent: never fetch. */
  fetchRevocation?: RevocationFetcher | undefined;
  onDecision(event: DecisionEvent): void;
  onError(error: unknown, rpc: string): void;
}

type Contract = { readonly ok: true; readonly request: ValidationRequest } | { readonly ok: false; readonly message: string };

/** Neither pem nor der is a request without a certificate, decided like any other; both is a contract error. */
export function toValidationRequest(wire: WireValidateRequest): Contract {
  const hasPem = wire.pem !== "";
  if (hasPem && wire.der.length > 0) return { ok: false, message: "set pem or der, not both" };
  const chain = hasPem ? { pem: wire.pem } : { der: wire.der.map((bytes) => new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)) };
  const ocspResponses = (wire.ocsp_responses ?? []).map((bytes) => new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  return { ok: true, request: { chain, context: wire.context, method: wire.method, userHeader: wire.user_header, ocspResponses } };
}

function timestamp(date: Date): { seconds: string; nanos: number } {
  const ms = date.getTime();
  return { seconds: String(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1_000_000 };
}

export function toWireResponse(decision: Decision): Record<string, unknown> {
  const view = decisionView(decision);
  const explained = decision.explanation === undefined ? {} : { trace: traceSteps(decision.explanation), hint: decision.explanation.hint ?? "" };
  if (view.principal === null) return { ...view, ...explained };
  return { ...view, principal: { ...view.principal, not_after: timestamp(view.principal.not_after) }, ...explained };
}

/** The explanation as TraceSteps: the path first (one step per certificate), then every step in order. */
function traceSteps(explanation: Explanation): Record<string, unknown>[] {
  const path = explanation.path.map((certificate) => ({
    stage: "path",
    cert_index: certificate.presentedIndex,
    check: `certificate at depth ${certificate.depth}${certificate.anchor ? " (trust anchor)" : ""}`,
    ok: true,
    detail: describeCertificate(certificate),
  }));
  return [
    ...path,
    ...explanation.steps.map((step) => ({ stage: step.stage, cert_index: step.certIndex, check: step.check, ok: step.ok, detail: step.detail })),
  ];
}

export function certgateHandlers(deps: ServiceDeps, encode: Encode): grpc.UntypedServiceImplementation {
  const responses = new EncodedResponses<Decision>(encode);
  return {
    async Validate(call: grpc.ServerUnaryCall<WireValidateRequest, unknown>, callback: grpc.sendUnaryData<unknown>) {
      const started = performance.now();
      try {
        const contract = toValidationRequest(call.request);
        if (!contract.ok) {
          callback({ code: grpc.status.INVALID_ARGUMENT, details: contract.message });
          return;
        }
        const decision = await validateWithFetch(deps.validator(), contract.request, deps.now, deps.fetchRevocation, {
          explain: call.request.explain === true,
        });
        const durationMs = performance.now() - started;
        deps.onDecision({
          rpc: "Validate",
          decision,
          context: call.request.context,
          method: call.request.method,
          durationMs,
          userHeader: contract.request.userHeader,
          caller: () => callerIdentity(call),
        });
        callback(
          null,
          responses.get(decision, undefined, () => toWireResponse(decision)),
        );
      } catch (error) {
        // A bug must never become an allow: answer INTERNAL, which callers treat as deny.
        deps.onError(error, "Validate");
        callback({ code: grpc.status.INTERNAL, details: "internal error; the request was not validated" });
      }
    },
  };
}
