// The forward-auth answer to a proxy's auth subrequest (nginx auth_request,
// ingress-nginx auth-url, Traefik forwardAuth, Caddy forward_auth, HAProxy, Envoy's
// HTTP ext_authz): the request read by the shared forwarded/ layer, one decision, then
// what every such proxy understands: 200 with the principal headers, or the
// decision's 401/403 with the reason. Everything about HTTP stays in this file.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { TLSSocket } from "node:tls";
import type { Config } from "../config/config.ts";
import { validateWithFetch } from "../fetch/validate-with-fetch.ts";
import { forwardAuthReading } from "../forwarded/presets.ts";
import { validationRequestOf, type ReadRequest, type Reading } from "../forwarded/proxy-request.ts";
import type { ServiceDeps } from "../grpc/certgate-service.ts";
import { refusedInput, type Decision } from "../validator/validator.ts";
import { peerFilter } from "./peer-filter.ts";

export type ForwardAuthSettings = Pick<Config, "forwardAuth" | "extAuthz">;

export interface ForwardAuthDeps extends ServiceDeps {
  /** A peer outside trusted_proxies or allowed_caller_sans was refused (403, unread). */
  onRefusedPeer(peer: string, why: string): void;
}

interface Answer {
  readonly status: 200 | 401 | 403;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

const readings = new WeakMap<ForwardAuthSettings, Reading>();

function readingOf(settings: ForwardAuthSettings): Reading {
  let reading = readings.get(settings);
  if (reading === undefined) {
    const { forwardAuth, extAuthz } = settings;
    reading = forwardAuthReading(forwardAuth, {
      pathPrefix: forwardAuth.pathPrefix,
      userHeader: extAuthz.userHeader,
      maxHeaderBytes: extAuthz.maxHeaderBytes,
      maxXfccElements: extAuthz.maxXfccElements,
    });
    readings.set(settings, reading);
  }
  return reading;
}

export function forwardAuthInput(request: IncomingMessage, settings: ForwardAuthSettings): ReadRequest {
  const headers = request.headersDistinct;
  return validationRequestOf({ headers: { get: (name) => headers[name] }, method: request.method ?? "", path: request.url ?? "" }, readingOf(settings));
}

/** Header values go out as the UTF-8 bytes of the text (a username may be any Unicode), which proxies pass on as they are. */
const headerText = (value: string) => (/^[\x20-\x7e]*$/.test(value) ? value : Buffer.from(value, "utf8").toString("latin1"));

/**
 * Allowed: 200 and every principal header, empty where the principal has no such part.
 * Proxies copy only what an answer carries, so an absent header would let a value the
 * client sent reach the upstream (Caddy even sends its placeholder text); an empty one
 * overwrites it.
 */
function allowed(decision: Decision, settings: ForwardAuthSettings): Answer {
  const names = settings.extAuthz.headers;
  const identity = decision.identity;
  const principal = identity?.principal;
  const headers: Record<string, string> = {
    [names.user]: headerText(principal?.username ?? ""),
    [names.userStore]: headerText(principal?.userStoreDomain ?? ""),
    [names.tenant]: headerText(principal?.tenantDomain ?? ""),
    [names.qualifiedUser]: headerText(principal?.qualifiedUsername ?? ""),
    [names.fingerprint]: identity?.fingerprint ?? "",
    [names.spiffeId]: identity?.spiffeId ?? "",
    "x-certgate-reason": decision.reason,
    "cache-control": "no-store",
    "content-length": "0",
  };
  return { status: 200, headers, body: "" };
}

/** Refused: the decision's 401 or 403 (nginx turns any other status into 500), the reason, and a JSON body. */
function refused(decision: Decision): Answer {
  const body = JSON.stringify({ reason: decision.reason, message: decision.message });
  const headers: Record<string, string> = {
    "x-certgate-reason": decision.reason,
    "content-type": "application/json",
    "cache-control": "no-store",
    "content-length": String(Buffer.byteLength(body)),
  };
  // RFC 9110 15.5.2: a 401 names how to authenticate; here, with a client certificate.
  if (decision.httpStatus === 401) headers["www-authenticate"] = `Certificate realm="certgate", reason="${decision.reason}"`;
  return { status: decision.httpStatus === 200 ? 403 : decision.httpStatus, headers, body };
}

// A cached decision is the same object each time: its answer is built once per settings.
const answers = new WeakMap<Decision, { readonly settings: ForwardAuthSettings; readonly answer: Answer }>();

export function forwardAuthAnswer(decision: Decision, settings: ForwardAuthSettings): Answer {
  const known = answers.get(decision);
  if (known !== undefined && known.settings === settings) return known.answer;
  const answer = decision.allowed ? allowed(decision, settings) : refused(decision);
  answers.set(decision, { settings, answer });
  return answer;
}

/** The caller for the audit log: its certificate's first SAN, else its address. */
function callerOf(request: IncomingMessage): string {
  const socket = request.socket as Partial<TLSSocket>;
  const san = socket.getPeerCertificate?.()?.subjectaltname;
  if (san !== undefined && san !== "") return san.split(/,\s*/)[0]!.replace(/^[A-Za-z ]+:/, "");
  return request.socket.remoteAddress ?? "unix socket";
}

function send(response: ServerResponse, answer: Answer, close: boolean): void {
  response.writeHead(answer.status, close ? { ...answer.headers, connection: "close" } : answer.headers);
  response.end(answer.body);
}

/** A request with a body is answered and its connection closed: the body is never read. */
const hasBody = (request: IncomingMessage) =>
  request.headers["transfer-encoding"] !== undefined || (request.headers["content-length"] !== undefined && request.headers["content-length"] !== "0");

export function forwardAuthHandler(deps: ForwardAuthDeps, settings: () => ForwardAuthSettings): (request: IncomingMessage, response: ServerResponse) => void {
  const peers = peerFilter();
  const decide = async (request: IncomingMessage, response: ServerResponse, config: ForwardAuthSettings, started: number) => {
    const input = forwardAuthInput(request, config);
    const decision = input.ok ? await validateWithFetch(deps.validator(), input.request, deps.now, deps.fetchRevocation) : refusedInput(input);
    deps.onDecision({
      rpc: "ForwardAuth",
      decision,
      context: input.ok ? input.request.context : (request.url ?? ""),
      method: input.ok ? input.request.method : (request.method ?? ""),
      durationMs: performance.now() - started,
      userHeader: input.ok ? input.request.userHeader : undefined,
      caller: () => callerOf(request),
    });
    send(response, forwardAuthAnswer(decision, config), hasBody(request));
  };
  return (request, response) => {
    const started = performance.now();
    const config = settings();
    const refusal = peers.refusal(request, config.forwardAuth);
    if (refusal !== undefined) {
      deps.onRefusedPeer(request.socket.remoteAddress ?? "unix socket", refusal);
      const body = JSON.stringify({ message: refusal });
      response.writeHead(403, { "content-type": "application/json", "content-length": String(Buffer.byteLength(body)), connection: "close" });
      response.end(body);
      return;
    }
    decide(request, response, config, started).catch((error: unknown) => {
      // A bug is never an allow: proxies read 500 as a refusal (failure_mode_allow stays off).
      deps.onError(error, "ForwardAuth");
      if (!response.headersSent) response.writeHead(500, { "content-type": "application/json", connection: "close" });
      response.end(JSON.stringify({ message: "internal error; the request was not authorised" }));
    });
  };
}
