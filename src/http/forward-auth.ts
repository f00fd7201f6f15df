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
import { validationRequestOf, type HeaderValues, type ReadRequest, type Reading } from "../forwarded/proxy-request.ts";
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
  /** Flat: name, value, name, value (writeHead takes it as is). */
  readonly headers: readonly string[];
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

/**
 * The request's headers as sent (rawHeaders: name, value, name, value, ...), looked up by
 * lower-case name. Node's `headers` and `headersDistinct` build an object of every header
 * on first use, which costs more than the rest of a warm decision; a few lookups over
 * the raw list cost nothing.
 */
function rawHeaderValues(raw: readonly string[]): HeaderValues {
  return {
    get(name) {
      let found: string | string[] | undefined;
      for (let i = 0; i < raw.length; i += 2) {
        const key = raw[i]!;
        if (key.length !== name.length || key.toLowerCase() !== name) continue;
        const value = raw[i + 1]!;
        found = found === undefined ? value : typeof found === "string" ? [found, value] : [...found, value];
      }
      return found;
    },
  };
}

export function forwardAuthInput(request: IncomingMessage, settings: ForwardAuthSettings): ReadRequest {
  const headers = rawHeaderValues(request.rawHeaders);
  return validationRequestOf({ headers, method: request.method ?? "", path: request.url ?? "" }, readingOf(settings));
}

/** Header values go out as the UTF-8 bytes of the text (a username may be any Unicode), which proxies pass on as they are. */
const headerText = (value: string) => (/^[\x20-\x7e]*$/.test(value) ? value : Buffer.from(value, "utf8").toString("latin1"));

/**
 * Allowed: 200 and every principal header, empty where the principal has no such part.
 * Proxies copy only what an answer carries, so an absent header would let a value the
 * client sent reach the upstream (Caddy even sends its placeholder text); an empty one
 * overwrites it. Nothing else: each header costs every answer its processing.
 */
function allowed(decision: Decision, settings: ForwardAuthSettings): Answer {
  const names = settings.extAuthz.headers;
  const identity = decision.identity;
  const principal = identity?.principal;
  const headers = [
    names.user,
    headerText(principal?.username ?? ""),
    names.userStore,
    headerText(principal?.userStoreDomain ?? ""),
    names.tenant,
    headerText(principal?.tenantDomain ?? ""),
    names.qualifiedUser,
    headerText(principal?.qualifiedUsername ?? ""),
    names.fingerprint,
    identity?.fingerprint ?? "",
    names.spiffeId,
    identity?.spiffeId ?? "",
    // Without it, headers written ahead of an empty body make the answer chunked.
    "content-length",
    "0",
  ];
  return { status: 200, headers, body: "" };
}

/** Refused: the decision's 401 or 403 (nginx turns any other status into 500), the reason, and a JSON body. */
function refused(decision: Decision): Answer {
  const body = JSON.stringify({ reason: decision.reason, message: decision.message });
  const headers = ["x-certgate-reason", decision.reason, "content-type", "application/json", "content-length", String(Buffer.byteLength(body))];
  // RFC 9110 15.5.2: a 401 names how to authenticate; here, with a client certificate.
  if (decision.httpStatus === 401) headers.push("www-authenticate", `Certificate realm="certgate", reason="${decision.reason}"`);
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
  response.writeHead(answer.status, close ? [...answer.headers, "connection", "close"] : (answer.headers as string[]));
  response.end(answer.body);
}

/** A request with a body is answered and its connection closed: the body is never read. */
function hasBody(request: IncomingMessage): boolean {
  const raw = request.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const key = raw[i]!;
    if (key.length === 17 && key.toLowerCase() === "transfer-encoding") return true;
    if (key.length === 14 && key.toLowerCase() === "content-length" && raw[i + 1]!.trim() !== "0") return true;
  }
  return false;
}

export function forwardAuthHandler(deps: ForwardAuthDeps, settings: () => ForwardAuthSettings): (request: IncomingMessage, response: ServerResponse) => void {
  const peers = peerFilter();
  const answer = (request: IncomingMessage, response: ServerResponse, config: ForwardAuthSettings, input: ReadRequest, decision: Decision, started: number) => {
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
  const failed = (response: ServerResponse, error: unknown) => {
    // A bug is never an allow: proxies read 500 as a refusal (failure_mode_allow stays off).
    deps.onError(error, "ForwardAuth");
    if (!response.headersSent) response.writeHead(500, { "content-type": "application/json", connection: "close" });
    response.end(JSON.stringify({ message: "internal error; the request was not authorised" }));
  };
  /** Synchronous unless revocation material has to be fetched first. */
  const decide = (request: IncomingMessage, response: ServerResponse, config: ForwardAuthSettings, started: number) => {
    const input = forwardAuthInput(request, config);
    const decision = input.ok ? validateWithFetch(deps.validator(), input.request, deps.now, deps.fetchRevocation) : refusedInput(input);
    if (!(decision instanceof Promise)) return answer(request, response, config, input, decision, started);
    decision.then(
      (fetched) => answer(request, response, config, input, fetched, started),
      (error: unknown) => failed(response, error),
    );
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
    try {
      decide(request, response, config, started);
    } catch (error) {
      failed(response, error);
    }
  };
}
