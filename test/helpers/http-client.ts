// HTTP/1.1 as proxies speak it to a forward-auth service: node:http requests (pooled or
// not), and raw bytes on a socket for what no well-behaved client would send.
import { request as httpRequest, type Agent, type IncomingHttpHeaders } from "node:http";
import { request as httpsRequest, type RequestOptions } from "node:https";
import { connect } from "node:net";

export interface HttpAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** "127.0.0.1:PORT" -> host and port. */
export function hostPort(address: string): { host: string; port: number } {
  const at = address.lastIndexOf(":");
  return { host: address.slice(0, at), port: Number(address.slice(at + 1)) };
}

export interface AskOptions {
  readonly path?: string;
  readonly method?: string;
  readonly agent?: Agent | false;
  readonly body?: string;
  /** TLS: CA, client certificate and key (https). */
  readonly tls?: Pick<RequestOptions, "ca" | "cert" | "key" | "servername">;
}

/** One request to a forward-auth listener. */
export function ask(address: string, headers: Record<string, string | string[]>, options: AskOptions = {}): Promise<HttpAnswer> {
  const { host, port } = hostPort(address);
  const send = options.tls === undefined ? httpRequest : httpsRequest;
  return new Promise((resolve, reject) => {
    const request = send(
      { host, port, path: options.path ?? "/auth", method: options.method ?? "GET", headers, agent: options.agent ?? false, ...options.tls },
      (response) => {
        let body = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => (body += chunk));
        response.on("end", () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
      },
    );
    request.on("error", reject);
    request.end(options.body);
  });
}

/** Raw bytes to the listener; resolves with everything it answered until it closed (or `waitMs` passed). */
export function raw(address: string, bytes: string | Buffer, waitMs = 3000): Promise<string> {
  const { host, port } = hostPort(address);
  return new Promise((resolve) => {
    let answer = "";
    const socket = connect(port, host, () => socket.write(bytes));
    const timer = setTimeout(() => socket.destroy(), waitMs);
    socket.on("data", (chunk) => (answer += chunk.toString("latin1")));
    socket.on("error", () => undefined);
    socket.on("close", () => {
      clearTimeout(timer);
      resolve(answer);
    });
  });
}
