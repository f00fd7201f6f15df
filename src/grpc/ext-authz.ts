// envoy.service.auth.v3.Authorization/Check, as opa-envoy-plugin's envoyauth does
// it: the CheckRequest becomes a plain input first (where the chain comes from,
// path, method, asserted user), the validator decides, the CheckResponse is built
// last. Everything about Envoy's wire shapes stays in this file.
import * as grpc from "@grpc/grpc-js";
import type { ExtAuthzConfig } from "../config/config.ts";
import { validationRequestOf, type ChainSource, type ReadRequest, type Reading } from "../forwarded/proxy-request.ts";
import { refusedInput, type Decision } from "../validator/validator.ts";
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

const readings = new WeakMap<ExtAuthzConfig, Reading>();

/**
 * Where ext_authz looks for the chain, in the documented order: XFCC (trust_xfcc), the
 * peer certificate Envoy names, RFC 9440 (trust_client_cert_headers), cert_header. The
 * path and method are the original request's own, as Envoy reports them.
 */
function readingOf(settings: ExtAuthzConfig): Reading {
  let reading = readings.get(settings);
  if (reading === undefined) {
    const chain: ChainSource[] = [];
    if (settings.trustXfcc) chain.push({ kind: "xfcc", header: "x-forwarded-client-cert" });
    chain.push({ kind: "peer" });
    if (settings.trustClientCertHeaders) chain.push({ kind: "client-cert" });
    if (settings.certHeader !== "") chain.push({ kind: "single", header: settings.certHeader });
    const { userHeader, maxHeaderBytes, maxXfccElements } = settings;
    reading = { chain, uriHeader: "", methodHeader: "", pathPrefix: "", userHeader, maxHeaderBytes, maxXfccElements };
    readings.set(settings, reading);
  }
  return reading;
}

export function checkInput(request: WireCheckRequest, settings: ExtAuthzConfig): ReadRequest {
  const http = request.attributes?.request?.http;
  const headers = requestHeaders(http);
  return validationRequestOf(
    {
      headers,
      path: http?.path || headers.get(":path") || "",
      method: http?.method || headers.get(":method") || "",
      peerCertificate: request.attributes?.source?.certificate,
      // Envoy's view of the TLS peer (its URI SAN, else DNS SAN, else subject): checked against a verified SPIFFE ID.
      peerPrincipal: request.attributes?.source?.principal,
    },
    readingOf(settings),
  );
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
