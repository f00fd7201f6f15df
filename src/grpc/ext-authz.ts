// envoy.service.auth.v3.Authorization/Check, as opa-envoy-plugin's envoyauth does
// it: the CheckRequest becomes a plain input first (where the chain comes from,
// path, method, asserted user), the validator decides, the CheckResponse is built
// last. Everything about Envoy's wire shapes stays in this file.
import * as grpc from "@grpc/grpc-js";
import type { ExtAuthzConfig } from "../config/config.ts";
import { LruCache } from "../lru-cache.ts";
import { chainFromClientCertFields } from "../forwarded/client-cert-field.ts";
import { certificateFromHeader } from "../forwarded/header-certificate.ts";
import { chainFromXfcc } from "../forwarded/xfcc.ts";
import { fail, type Failure } from "../reason.ts";
import { refusedInput, type Decision, type ValidationRequest } from "../validator/validator.ts";
import { callerIdentity } from "./caller.ts";
import { EncodedResponses, type Encode } from "./response-encoding.ts";
import type { ServiceDeps } from "./certgate-service.ts";
import { validateWithFetch } from "../fetch/validate-with-fetch.ts";

interface HeaderValue {
  key?: string;
  value?: string;
  raw_value?: Buffer;
}

/**
 * A proto map<string, string>. Decoded through a FileDescriptorSet, protobufjs sees
 * the map's wire form (repeated key/value entries, identical bytes); a loader built
 * from .proto files gives a plain object. Both are accepted.
 */
type WireStringMap = Record<string, string> | readonly { key?: string; value?: string }[];

function mapEntries(map: WireStringMap | undefined): [string, string][] {
  if (map === undefined) return [];
  if (Array.isArray(map)) return map.map((entry: { key?: string; value?: string }) => [entry.key ?? "", entry.value ?? ""]);
  return Object.entries(map);
}

export interface WireCheckRequest {
  attributes?: {
    source?: { certificate?: string; principal?: string };
    request?: { http?: { method?: string; path?: string; headers?: WireStringMap; header_map?: { headers?: HeaderValue[] } } };
  };
}

const CHAIN_SOURCE_LIMIT = 32;

/** Lower-cased request headers from either wire form (headers map, or header_map with raw values). */
export function requestHeaders(http: NonNullable<NonNullable<WireCheckRequest["attributes"]>["request"]>["http"]): Map<string, string> {
  const headers = new Map<string, string>();
  for (const [key, value] of mapEntries(http?.headers)) headers.set(key.toLowerCase(), value);
  for (const { key, value, raw_value } of http?.header_map?.headers ?? []) {
    if (key === undefined) continue;
    headers.set(key.toLowerCase(), raw_value !== undefined && raw_value.length > 0 ? raw_value.toString("latin1") : (value ?? ""));
  }
  return headers;
}

type Chain = { readonly ok: true; readonly certificates: readonly Uint8Array[] } | Failure;

/** The first source that carries a certificate, in the documented order; undefined: none. */
// A proxy sends the same XFCC value for every request of a connection: parse it once.
const xfccChains = new LruCache<string, { chain: Chain | undefined; maxElements: number }>(1_024);

function memoizedXfcc(header: string, maxElements: number): Chain | undefined {
  const known = xfccChains.get(header);
  if (known !== undefined && known.maxElements === maxElements) return known.chain;
  const chain = chainFromXfcc(header, maxElements);
  xfccChains.set(header, { chain, maxElements });
  return chain;
}

function chainFrom(request: WireCheckRequest, headers: ReadonlyMap<string, string>, settings: ExtAuthzConfig): Chain | undefined {
  for (const name of ["x-forwarded-client-cert", "client-cert", "client-cert-chain", settings.certHeader]) {
    const value = name === "" ? undefined : headers.get(name);
    if (value !== undefined && value.length > settings.maxHeaderBytes) {
      return fail("MALFORMED_CERTIFICATE", `${name} is ${value.length} bytes; ext_authz.max_header_bytes is ${settings.maxHeaderBytes}`);
    }
  }
  const xfcc = headers.get("x-forwarded-client-cert");
  if (settings.trustXfcc && xfcc !== undefined && xfcc !== "") {
    const chain = memoizedXfcc(xfcc, settings.maxXfccElements);
    if (chain !== undefined) return chain;
  }
  const peer = request.attributes?.source?.certificate;
  if (peer !== undefined && peer.length > settings.maxHeaderBytes) return fail("MALFORMED_CERTIFICATE", "attributes.source.certificate is too long");
  if (peer !== undefined && peer !== "") return certificateFromHeader(peer, "attributes.source.certificate");
  if (settings.trustClientCertHeaders) {
    const chain = chainFromClientCertFields(headers.get("client-cert"), headers.get("client-cert-chain"), CHAIN_SOURCE_LIMIT);
    if (chain !== undefined) return chain;
  }
  const single = settings.certHeader === "" ? undefined : headers.get(settings.certHeader);
  if (single !== undefined && single !== "") return certificateFromHeader(single, settings.certHeader);
  return undefined;
}

export type CheckInput = { readonly ok: true; readonly request: ValidationRequest } | Failure;

export function checkInput(request: WireCheckRequest, settings: ExtAuthzConfig): CheckInput {
  const http = request.attributes?.request?.http;
  const headers = requestHeaders(http);
  const chain = chainFrom(request, headers, settings);
  if (chain !== undefined && !chain.ok) return chain;
  return {
    ok: true,
    request: {
      chain: { der: chain?.certificates ?? [] },
      context: http?.path || headers.get(":path") || "",
      method: http?.method || headers.get(":method") || "",
      userHeader: headers.get(settings.userHeader),
      // Envoy's view of the TLS peer (its URI SAN, else DNS SAN, else subject): checked against a verified SPIFFE ID.
      peerPrincipal: request.attributes?.source?.principal,
    },
  };
}

const OVERWRITE_IF_EXISTS_OR_ADD = "OVERWRITE_IF_EXISTS_OR_ADD";

function headerOption(key: string, value: string) {
  return { header: { key, value }, append_action: OVERWRITE_IF_EXISTS_OR_ADD };
}

/**
 * Allowed: the principal goes upstream in headers set with OVERWRITE_IF_EXISTS_OR_ADD,
 * which replaces any value the client sent. Envoy applies headers_to_remove after
 * the headers it sets, so it lists the asserted-user header and only the principal
 * headers this answer does not set (no user named): a client can never smuggle an
 * identity upstream, and the ones certgate sets survive.
 */
function okResponse(decision: Decision, settings: ExtAuthzConfig) {
  const names = settings.headers;
  const identity = decision.identity;
  const principal = identity?.principal;
  const values: [string, string | undefined][] = [
    [names.user, principal?.username],
    [names.userStore, principal?.userStoreDomain],
    [names.tenant, principal?.tenantDomain],
    [names.qualifiedUser, principal?.qualifiedUsername],
    [names.fingerprint, identity?.fingerprint],
    [names.spiffeId, identity?.spiffeId],
  ];
  return {
    status: { code: grpc.status.OK, message: "" },
    ok_response: {
      headers: values.filter(([, value]) => value !== undefined).map(([key, value]) => headerOption(key, value!)),
      headers_to_remove: [settings.userHeader, ...values.filter(([, value]) => value === undefined).map(([key]) => key)],
    },
  };
}

function deniedResponse(decision: Decision) {
  const code = decision.httpStatus === 403 ? grpc.status.PERMISSION_DENIED : grpc.status.UNAUTHENTICATED;
  return {
    status: { code, message: decision.reason },
    denied_response: {
      status: { code: decision.httpStatus },
      headers: [headerOption("x-certgate-reason", decision.reason), headerOption("content-type", "application/json")],
      body: JSON.stringify({ reason: decision.reason, message: decision.message }),
    },
  };
}

export function checkResponse(decision: Decision, settings: ExtAuthzConfig) {
  return decision.allowed ? okResponse(decision, settings) : deniedResponse(decision);
}

export function extAuthzHandlers(deps: ServiceDeps, settings: () => ExtAuthzConfig, encode: Encode): grpc.UntypedServiceImplementation {
  const responses = new EncodedResponses<Decision>(encode);
  return {
    async Check(call: grpc.ServerUnaryCall<WireCheckRequest, unknown>, callback: grpc.sendUnaryData<unknown>) {
      const started = performance.now();
      try {
        const config = settings();
        const input = checkInput(call.request, config);
        const decision = input.ok ? await validateWithFetch(deps.validator(), input.request, deps.now, deps.fetchRevocation) : refusedInput(input);
        const http = call.request.attributes?.request?.http;
        deps.onDecision({
          rpc: "Check",
          decision,
          context: http?.path ?? "",
          method: http?.method ?? "",
          durationMs: performance.now() - started,
          userHeader: input.ok ? input.request.userHeader : undefined,
          caller: () => callerIdentity(call),
        });
        // The header names come from the config: a reload changes the response for the same decision.
        callback(
          null,
          responses.get(decision, config, () => checkResponse(decision, config)),
        );
      } catch (error) {
        // Envoy treats a failed Check as a denial unless failure_mode_allow is set (keep it off).
        deps.onError(error, "Check");
        callback({ code: grpc.status.INTERNAL, details: "internal error; the request was not authorised" });
      }
    },
  };
}
