// Who may ask the forward-auth listener at all: a peer address inside
// forward_auth.trusted_proxies and, with TLS, a client certificate naming one of
// forward_auth.allowed_caller_sans. Anyone else reaching the port (a client that found
// it, a pod in another namespace) would be asking about requests it makes up.
import type { IncomingMessage } from "node:http";
import { BlockList, isIP } from "node:net";
import type { TLSSocket } from "node:tls";
import type { ForwardAuthConfig } from "../config/config.ts";

function blockListOf(cidrs: readonly string[]): BlockList {
  const list = new BlockList();
  for (const cidr of cidrs) {
    const [address = "", bits] = cidr.split("/");
    const family = isIP(address) === 6 ? "ipv6" : "ipv4";
    list.addSubnet(address, bits === undefined ? (family === "ipv6" ? 128 : 32) : Number(bits), family);
  }
  return list;
}

function peerSans(request: IncomingMessage): string[] {
  const san = (request.socket as Partial<TLSSocket>).getPeerCertificate?.()?.subjectaltname;
  if (san === undefined || san === "") return [];
  return san.split(/,\s*/).map((entry) => entry.slice(entry.indexOf(":") + 1));
}

export interface PeerFilter {
  /** Why this request's peer may not ask; undefined: it may. */
  refusal(request: IncomingMessage, config: ForwardAuthConfig): string | undefined;
}

export function peerFilter(): PeerFilter {
  const lists = new WeakMap<ForwardAuthConfig, { readonly list: BlockList; readonly callers: ReadonlySet<string> }>();
  // A connection's peer address does not change: its verdict is kept per socket, for the configuration it
  // was made under. Not with allowed_caller_sans: TLS 1.2 renegotiation could present another certificate.
  const verdicts = new WeakMap<object, { readonly config: ForwardAuthConfig; readonly refusal: string | undefined }>();
  const judge = (request: IncomingMessage, config: ForwardAuthConfig): string | undefined => {
    let known = lists.get(config);
    if (known === undefined) {
      known = { list: blockListOf(config.trustedProxies), callers: new Set(config.allowedCallerSans) };
      lists.set(config, known);
    }
    const address = request.socket.remoteAddress;
    // A unix socket has no peer address: its file mode (forward_auth.socket_mode) decides who connects.
    if (address !== undefined && !known.list.check(address, isIP(address) === 6 ? "ipv6" : "ipv4"))
      return `peer ${address} is not in forward_auth.trusted_proxies`;
    if (known.callers.size > 0 && !peerSans(request).some((san) => known.callers.has(san)))
      return "the caller's certificate names none of forward_auth.allowed_caller_sans";
    return undefined;
  };
  return {
    refusal(request, config) {
      const known = verdicts.get(request.socket);
      if (known !== undefined && known.config === config) return known.refusal;
      const refusal = judge(request, config);
      if (config.allowedCallerSans.length === 0) verdicts.set(request.socket, { config, refusal });
      return refusal;
    },
  };
}
