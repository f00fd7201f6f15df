// The forward-auth listener: HTTP/1.1 (TLS optional) with the limits a service facing
// a proxy's connection pool needs. The head of a request is bounded in bytes, header
// count and time (a slow client is answered 408 and closed); a body is never read;
// idle pooled connections outlive the proxy's own idle timeout, so the proxy is the one
// that closes them; an old connection is closed after its answer (max connection age),
// so pools spread over replicas; on drain, in-flight answers finish and each
// connection closes after its last one.
import { chmod } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createTlsServer } from "node:https";
import type { Socket } from "node:net";
import type { ServerTlsMaterial } from "../config/trust-material.ts";
import { ListenerError } from "../listener-error.ts";

export interface HttpLimits {
  readonly maxHeaderBytes: number;
  readonly maxHeaders: number;
  readonly headersTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly keepAliveTimeoutSeconds: number;
  /** A connection older than this (±10%) is closed after its next answer; absent: never. */
  readonly maxConnectionAgeMs?: number;
}

export interface HttpListenerOptions {
  /** "host:port" or "unix:/path". */
  readonly listen: string;
  /** The config key that sets it, for the operator ("forward_auth.listen"). */
  readonly key: string;
  readonly name: string;
  readonly socketMode: number;
  readonly tls: ServerTlsMaterial | undefined;
  readonly limits: HttpLimits;
}

export interface RunningHttpListener {
  /** "127.0.0.1:PORT" (the real port when 0 was asked) or "unix:/path". */
  readonly address: string;
  /** New serving certificate and caller CAs for new handshakes. */
  updateTls(material: ServerTlsMaterial): void;
  /** Stops accepting; answers in flight finish within `graceMs`, then every connection is closed. */
  close(graceMs: number): Promise<void>;
}

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

function tlsOptions(material: ServerTlsMaterial) {
  return { cert: material.certChain, key: material.privateKey, ...(material.clientCas === null ? {} : { ca: material.clientCas }) };
}

function createListener(options: HttpListenerOptions, handler: Handler): Server {
  const { limits, tls } = options;
  const common = {
    maxHeaderSize: limits.maxHeaderBytes,
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutSeconds * 1000,
    // Node checks the two timeouts this often; its default (30 s) would let a slow client hold a socket that long.
    connectionsCheckingInterval: Math.min(1000, limits.headersTimeoutMs),
    noDelay: true,
  };
  if (tls === undefined) return createServer(common, handler);
  return createTlsServer({ ...common, ...tlsOptions(tls), requestCert: tls.clientCas !== null, rejectUnauthorized: tls.requireClientCert }, handler);
}

function listen(server: Server, options: HttpListenerOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    const fail = (error: Error) => reject(new ListenerError(options.name, options.key, options.listen, error));
    server.once("error", fail);
    const done = () => {
      server.off("error", fail);
      const bound = server.address();
      const at = options.listen.lastIndexOf(":");
      resolve(typeof bound === "object" && bound !== null ? `${options.listen.slice(0, at)}:${bound.port}` : options.listen);
    };
    if (options.listen.startsWith("unix:")) server.listen(options.listen.slice("unix:".length), done);
    else {
      const at = options.listen.lastIndexOf(":");
      server.listen(Number(options.listen.slice(at + 1)), options.listen.slice(0, at).replace(/^\[|\]$/g, ""), done);
    }
  });
}

/** When each connection should close: its start plus the age, jittered ±10% so a pool's connections do not all reopen at once. */
const closesAt = new WeakMap<Socket, number>();

export async function startHttpListener(options: HttpListenerOptions, handler: Handler): Promise<RunningHttpListener> {
  const { limits } = options;
  let draining = false;
  const guarded: Handler = (request, response) => {
    // Node drops headers beyond maxHeadersCount without a word; one more is kept, so too many is seen and refused.
    if (request.rawHeaders.length / 2 > limits.maxHeaders) {
      response.writeHead(431, { connection: "close", "content-type": "text/plain" }).end(`more than ${limits.maxHeaders} header fields\n`);
      return;
    }
    const closeAt = closesAt.get(request.socket);
    if (draining || (closeAt !== undefined && Date.now() >= closeAt)) response.setHeader("connection", "close");
    handler(request, response);
  };
  const server = createListener(options, guarded);
  server.maxHeadersCount = limits.maxHeaders + 1;
  if (limits.maxConnectionAgeMs !== undefined) {
    const age = limits.maxConnectionAgeMs;
    server.on(options.tls === undefined ? "connection" : "secureConnection", (socket: Socket) =>
      closesAt.set(socket, Date.now() + age * (0.9 + Math.random() * 0.2)),
    );
  }
  const address = await listen(server, options);
  // Group access by default: the proxy's user shares a group with certgate, nobody else connects.
  if (address.startsWith("unix:")) await chmod(address.slice("unix:".length), options.socketMode);
  return {
    address,
    updateTls(material) {
      if ("setSecureContext" in server) (server as unknown as { setSecureContext(o: object): void }).setSecureContext(tlsOptions(material));
    },
    close(graceMs) {
      draining = true;
      return new Promise((resolve) => {
        const timer = setTimeout(() => server.closeAllConnections(), graceMs);
        // A connection whose answer was already under way when the drain began carries no
        // "connection: close": it is closed as soon as it falls idle.
        const idle = setInterval(() => server.closeIdleConnections(), 25);
        server.close(() => {
          clearTimeout(timer);
          clearInterval(idle);
          resolve();
        });
        server.closeIdleConnections();
      });
    },
  };
}
