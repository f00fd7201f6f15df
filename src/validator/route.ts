// Stages 1 and 2: what the request path says before any certificate is read - the
// normalised path, its exempt context and resource rule - and the requests that it
// settles on its own (no rule and a default, an unsecured rule, a handler not allowed).
import { normaliseRequestPath } from "../policy/request-path.ts";
import { fail, type Failure } from "../reason.ts";
import type { Outcome, Route, ValidationRequest } from "./decision.ts";
import type { Memo } from "./memo.ts";
import type { CompiledSettings } from "./settings.ts";

const CLIENT_CERTIFICATE_HANDLER = "clientcertificate";

/** Stage 1: the request path, its exempt context and resource rule. */
export function routeOf(compiled: CompiledSettings, memo: Memo, request: ValidationRequest): Route | Failure {
  let requestPath = memo.requestPaths.get(request.context);
  if (requestPath === undefined) {
    requestPath = normaliseRequestPath(request.context);
    memo.requestPaths.set(request.context, requestPath);
  }
  if (!requestPath.ok) return requestPath;
  const exemptBy = compiled.exemptContexts.match(requestPath.segments);
  const match = compiled.rules.enabled ? compiled.rules.match(requestPath.path, request.method) : undefined;
  return { ok: true, exempt: exemptBy !== undefined, exemptBy, path: requestPath.path, segments: requestPath.segments, match };
}

/** Stage 2: an answer that needs no certificate; undefined: a certificate is needed. */
export function settledWithoutCertificate(compiled: CompiledSettings, route: Route): Outcome | undefined {
  const { rules } = compiled;
  if (!rules.enabled) return undefined;
  const rule = route.match?.rule;
  if (rule === undefined) {
    if (rules.defaultAccess === "allow") return { ok: true, message: "no rule matches; default_access is allow" };
    return fail("NO_MATCHING_RULE", "no resource access rule matches this path and method; default_access is deny");
  }
  if (!rule.secure) return { ok: true, message: `rule "${rule.context}" is not secured` };
  const handlers = rule.allowedAuthHandlers;
  if (!handlers.includes("all") && !handlers.includes(CLIENT_CERTIFICATE_HANDLER)) {
    return fail("HANDLER_NOT_ALLOWED", `rule "${rule.context}" does not allow the ClientCertificate handler`);
  }
  return undefined;
}
