// certgate.v1.CertificateValidator: wire request -> ValidationRequest -> Decision
// -> wire response. Contract violations are gRPC errors; every certificate problem
// is an answer with allowed=false.
import * as grpc from "@grpc/grpc-js";
import { decisionView } from "../decision-view.ts";
import type { RevocationFetcher } from "../fetch/revocation-fetcher.ts";
import { decide } from "../fetch/decide.ts";
import { callerIdentity } from "./caller.ts";
import { EncodedResponses, type Encode } from "./response-encoding.ts";
import type { Decision, ValidationRequest, Validator } from "../validator.ts";

export interface WireValidateRequest {
  pem: string;
  der: Buffer[];
  context: string;
  method: string;
  user_header?: string;
  ocsp_responses: Buffer[];
}

export interface DecisionEvent {
  readonly rpc: string;
  readonly decision: Decision;
  readonly context: string;
  readonly method: string;
  readonly durationMs: number;
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

export function toValidationRequest(wire: WireValidateRequest): Contract {
  const hasPem = wire.pem !== "";
  const hasDer = wire.der.length > 0;
  if (hasPem && hasDer) return { ok: false, message: "set pem or der, not both" };
  if (!hasPem && !hasDer) return { ok: false, message: "no certificate chain: set pem (PEM chain, leaf first) or der (DER certificates, leaf first)" };
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
  if (view.principal === null) return view as unknown as Record<string, unknown>;
  return { ...view, principal: { ...view.principal, not_after: timestamp(view.principal.not_after) } };
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
        const decision = await decide(deps.validator(), contract.request, deps.now, deps.fetchRevocation);
        const durationMs = performance.now() - started;
        deps.onDecision({ rpc: "Validate", decision, context: call.request.context, method: call.request.method, durationMs, caller: () => callerIdentity(call) });
        callback(null, responses.get(decision, undefined, () => toWireResponse(decision)));
      } catch (error) {
        // A bug must never become an allow: answer INTERNAL, which callers treat as deny.
        deps.onError(error, "Validate");
        callback({ code: grpc.status.INTERNAL, details: "internal error; the request was not validated" });
      }
    },
  };
}
