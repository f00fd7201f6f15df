// A local CRL distribution point and OCSP responder on 127.0.0.1, for the tests.
import { createServer, type Server } from "node:http";

export interface RevocationServer {
  readonly url: string;
  /** Path -> CRL bytes served on GET. */
  readonly crls: Map<string, Uint8Array>;
  /** Bytes answered to every OCSP POST (undefined: HTTP 500). */
  ocspResponse: Uint8Array | undefined;
  /** Delay before answering anything, for timeout tests. */
  delayMs: number;
  readonly requests: string[];
  close(): Promise<void>;
}

export async function startRevocationServer(): Promise<RevocationServer> {
  const state = { crls: new Map<string, Uint8Array>(), ocspResponse: undefined as Uint8Array | undefined, delayMs: 0, requests: [] as string[] };
  const server: Server = createServer((request, response) => {
    state.requests.push(`${request.method} ${request.url}`);
    request.resume();
    request.on("end", () => {
      setTimeout(() => {
        if (response.destroyed) return;
        const body = request.method === "POST" ? state.ocspResponse : state.crls.get(request.url ?? "");
        if (body === undefined) response.writeHead(request.method === "POST" ? 500 : 404).end();
        else
          response.writeHead(200, { "content-type": request.method === "POST" ? "application/ocsp-response" : "application/pkix-crl" }).end(Buffer.from(body));
      }, state.delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  return Object.assign(state, {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  }) as RevocationServer;
}
