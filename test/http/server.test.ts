// The forward-auth listener's own behaviour, apart from any decision: the drain, the
// connection age, a taken address.
import assert from "node:assert/strict";
import { Agent, type IncomingMessage, type ServerResponse } from "node:http";
import { describe, it } from "node:test";
import { ListenerError } from "../../src/listener-error.ts";
import { startHttpListener, type HttpLimits } from "../../src/http/server.ts";
import { ask } from "../helpers/http-client.ts";
import { eventually } from "../helpers/cli-process.ts";

const LIMITS: HttpLimits = { maxHeaderBytes: 16_384, maxHeaders: 50, headersTimeoutMs: 1000, requestTimeoutMs: 2000, keepAliveTimeoutSeconds: 60 };
const options = { listen: "127.0.0.1:0", key: "forward_auth.listen", name: "forward auth", socketMode: 0o660, tls: undefined, limits: LIMITS };

/** A handler that answers after `delayMs`, counting what it received. */
function slowHandler(delayMs: number) {
  const seen = { count: 0 };
  const handler = (_request: IncomingMessage, response: ServerResponse) => {
    seen.count++;
    setTimeout(() => response.writeHead(200, { "content-length": "0" }).end(), delayMs);
  };
  return { seen, handler };
}

describe("the HTTP listener", () => {
  it("drains: answers in flight complete, their connections close, and close() resolves", async () => {
    const { seen, handler } = slowHandler(300);
    const listener = await startHttpListener(options, handler);
    const agent = new Agent({ keepAlive: true });
    try {
      const inFlight = Array.from({ length: 10 }, () => ask(listener.address, {}, { agent }));
      await eventually(() => seen.count === 10);
      const started = Date.now();
      await Promise.all([listener.close(5000), ...inFlight]);
      const answers = await Promise.all(inFlight);
      assert.ok(answers.every((answer) => answer.status === 200));
      assert.ok(Date.now() - started < 2000, "closed once the answers were out, not at the grace deadline");
      await assert.rejects(ask(listener.address, {}));
    } finally {
      agent.destroy();
    }
  });

  it("cuts answers that outlast the grace period", async () => {
    const { seen, handler } = slowHandler(10_000);
    const listener = await startHttpListener(options, handler);
    const pending = ask(listener.address, {}).catch((error: Error) => error);
    await eventually(() => seen.count === 1);
    const started = Date.now();
    await listener.close(200);
    assert.ok(Date.now() - started < 2000);
    assert.ok((await pending) instanceof Error);
  });

  it("closes a connection older than max connection age after its next answer", async () => {
    const { handler } = slowHandler(0);
    const listener = await startHttpListener({ ...options, limits: { ...LIMITS, maxConnectionAgeMs: 300 } }, handler);
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      assert.equal((await ask(listener.address, {}, { agent })).headers.connection, "keep-alive");
      await new Promise((resolve) => setTimeout(resolve, 400));
      assert.equal((await ask(listener.address, {}, { agent })).headers.connection, "close");
      assert.equal((await ask(listener.address, {}, { agent })).headers.connection, "keep-alive", "a new connection");
    } finally {
      agent.destroy();
      await listener.close(100);
    }
  });

  it("names forward_auth.listen when the address is taken", async () => {
    const { handler } = slowHandler(0);
    const first = await startHttpListener(options, handler);
    try {
      await assert.rejects(startHttpListener({ ...options, listen: first.address }, handler), (error: unknown) => {
        assert.ok(error instanceof ListenerError);
        assert.equal(error.key, "forward_auth.listen");
        assert.match(error.message, /address already in use/);
        return true;
      });
    } finally {
      await first.close(100);
    }
  });
});
