// What every proxy in front of certgate must do, checked the same way for each: the
// allowed client's principal reaches the upstream, refusals reach the client, exempt
// contexts work, and nothing a client sends in a header (a principal, a certificate, a
// path) changes what certgate decides or what the upstream is told.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { pino } from "pino";
import { startService, type Service } from "../../src/process/service.ts";
import type { Echo, ProxyPki, RunningProcess } from "./proxies.ts";
import { certgateToml, echoUpstream, freePort, mtlsGet, opensslProxyPki, writeIn } from "./proxies.ts";

export interface ProxyUnderTest {
  readonly port: number;
  readonly pki: ProxyPki;
  readonly upstream: Echo;
}

const SPOOFED_PRINCIPAL = { "X-Certgate-User": "root", "X-Certgate-Qualified-User": "root", "X-Certgate-Tenant": "evil.com" };

/** Registers the shared checks; `proxy()` is read when each test runs (after `before`). */
export function proxyScenarios(proxy: () => ProxyUnderTest): void {
  it("passes an allowed client's principal to the upstream, over whatever the client sent", async () => {
    const { port, pki, upstream } = proxy();
    const answer = await mtlsGet(port, "/api/hello?x=1", pki, pki.alice, SPOOFED_PRINCIPAL);
    assert.equal(answer.status, 200, answer.body);
    const seen = upstream.seen.at(-1)!;
    assert.equal(seen["x-certgate-user"], "alice");
    assert.equal(seen["x-certgate-qualified-user"], "alice");
    assert.equal(seen["x-certgate-tenant"], "carbon.super");
    assert.match(String(seen["x-certgate-fingerprint"]), /^[0-9a-f]{64}$/);
  });

  it("refuses a client of an intermediate off the allow-list with 401 at the client; the upstream never sees it", async () => {
    const { port, pki, upstream } = proxy();
    const before = upstream.seen.length;
    const answer = await mtlsGet(port, "/api/hello", pki, pki.mallory);
    assert.equal(answer.status, 401);
    assert.equal(answer.headers["x-certgate-reason"], "INTERMEDIATE_CN_NOT_ALLOWED");
    assert.equal(upstream.seen.length, before);
  });

  it("lets that client into an exempt context, and no principal it claims reaches the upstream", async () => {
    const { port, pki, upstream } = proxy();
    const answer = await mtlsGet(port, "/public/hello", pki, pki.mallory, SPOOFED_PRINCIPAL);
    assert.equal(answer.status, 200, answer.body);
    const seen = upstream.seen.at(-1)!;
    for (const name of ["x-certgate-user", "x-certgate-qualified-user", "x-certgate-tenant"])
      assert.ok([undefined, ""].includes(seen[name] as string), `${name}: ${seen[name]}`);
  });

  it("refuses a client without a certificate with 401", async () => {
    const { port, pki } = proxy();
    const answer = await mtlsGet(port, "/api/hello", pki, undefined);
    assert.equal(answer.status, 401);
    assert.equal(answer.headers["x-certgate-reason"], "NO_CERTIFICATE");
  });

  it("ignores a certificate a client puts in a header itself, in any header and encoding", async () => {
    const { port, pki, upstream } = proxy();
    const pem = readFileSync(pki.alice.pem, "utf8");
    const der = pem.replace(/-----[A-Z ]+-----|\s/g, "");
    const forged = {
      "X-SSL-Client-Cert": encodeURIComponent(pem),
      "ssl-client-cert": encodeURIComponent(pem),
      "X-Client-Cert": der,
      "X-Forwarded-Tls-Client-Cert": der,
      "X-Forwarded-Client-Cert": `Cert="${encodeURIComponent(pem)}"`,
      "Client-Cert": `:${der}:`,
    };
    const before = upstream.seen.length;
    const answer = await mtlsGet(port, "/api/hello", pki, undefined, forged);
    assert.equal(answer.status, 401);
    assert.equal(answer.headers["x-certgate-reason"], "NO_CERTIFICATE");
    assert.equal(upstream.seen.length, before);
  });

  it("ignores a path a client puts in a header itself", async () => {
    const { port, pki } = proxy();
    const forged = { "X-Original-URI": "/public/x", "X-Original-URL": "https://localhost/public/x", "X-Forwarded-Uri": "/public/x" };
    const answer = await mtlsGet(port, "/api/hello", pki, pki.mallory, forged);
    assert.equal(answer.status, 401);
  });
}

export interface ProxySetup {
  readonly dir: string;
  readonly pki: ProxyPki;
  /** certgate's forward-auth listener, "127.0.0.1:PORT". */
  readonly certgate: string;
  readonly upstream: Echo;
  /** The port the proxy is to serve TLS on (free now). */
  readonly port: number;
}

/**
 * The proxy `name` in front of a real certgate (preset `preset`) and an echoing
 * upstream, with a PKI made by OpenSSL's CLI; `start` starts the proxy from its shipped
 * example. Every check of proxyScenarios runs against it.
 */
export function describeProxy(title: string, preset: string, start: (setup: ProxySetup) => Promise<RunningProcess>): void {
  describe(title, () => {
    const dir = mkdtempSync(join(tmpdir(), `certgate-${preset}-`));
    let setup: ProxySetup;
    let certgate: Service | undefined;
    let proxy: RunningProcess | undefined;
    before(async () => {
      const pki = opensslProxyPki(join(dir, "pki"));
      certgate = await startService(writeIn(dir, "certgate.toml", certgateToml(pki, preset)), pino({ level: "warn" }));
      setup = { dir, pki, certgate: certgate.forwardAuth!.address, upstream: await echoUpstream(), port: await freePort() };
      proxy = await start(setup);
    });
    after(async () => {
      await proxy?.stop();
      await setup?.upstream.close();
      await certgate?.stop();
    });
    proxyScenarios(() => setup);
  });
}
