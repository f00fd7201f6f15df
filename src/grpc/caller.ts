// Who is calling certgate: the caller's own TLS client certificate (never the chain
// inside a request), used to narrow callers to named SANs and for the audit log.
import type { PeerCertificate } from "node:tls";
import * as grpc from "@grpc/grpc-js";

/** grpc-js does not export its AuthContext type; this is the part certgate reads. */
interface AuthContext {
  readonly sslPeerCertificate?: PeerCertificate;
}

/** SAN values of the caller's certificate ("DNS:a, URI:b" -> ["a", "b"]). */
function peerSans(call: { getAuthContext(): AuthContext }): string[] {
  const san = call.getAuthContext().sslPeerCertificate?.subjectaltname;
  if (san === undefined || san === "") return [];
  return san.split(/,\s*/).map((entry: string) => entry.slice(entry.indexOf(":") + 1));
}

/** A short name for the audit log: the first SAN, else the subject CN, else the peer address. */
export function callerIdentity(call: { getAuthContext(): AuthContext; getPeer(): string }): string {
  const certificate = call.getAuthContext().sslPeerCertificate;
  const cn = certificate?.subject?.CN;
  return peerSans(call)[0] ?? (typeof cn === "string" && cn !== "" ? `CN=${cn}` : call.getPeer());
}

/**
 * Refuses, with PERMISSION_DENIED, calls from callers whose certificate carries none
 * of the allowed SAN values. Health checks stay open to any caller the TLS layer let in.
 */
export function allowedCallersInterceptor(allowed: readonly string[], openPaths: (path: string) => boolean): grpc.ServerInterceptor {
  const names = new Set(allowed);
  return (method, call) =>
    new grpc.ServerInterceptingCall(call, {
      start(next) {
        next({
          onReceiveMetadata(metadata, nextMetadata) {
            if (openPaths(method.path) || peerSans(call).some((san) => names.has(san))) {
              nextMetadata(metadata);
              return;
            }
            call.sendStatus({ code: grpc.status.PERMISSION_DENIED, details: "caller is not in server.allowed_caller_sans" });
          },
        });
      },
    });
}
