// The forward-auth listener on a real server: the same decision Validate gives, in the
// answer proxies understand; hostile input never an allow, never a 5xx, the listener
// alive after it; only trusted peers; reload, metrics, audit and drain as on the gRPC port.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { Agent } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { pino } from "pino";
import { writeDevPki } from "../../src/devpki/dev-pki.ts";
import { startService, type Service } from "../../src/process/service.ts";
import { ask, raw, type HttpAnswer } from "../helpers/http-client.ts";
import { eventually } from "../helpers/cli-process.ts";
import { logSink } from "../helpers/log-sink.ts";
import { clientFor, unary } from "../helpers/server.ts";

const dir = mkdtempSync(join(tmpdir(), "certgate-forward-auth-"));
const pem = (name: string) => readFileSync(join(dir, "pki", `${name}.pem`), "utf8");
/** nginx's $ssl_client_escaped_cert. */
const escaped = (text: string) => encodeURIComponent(text);

function configText(options: { certCns?: string[]; forwardAuth?: string } = {}): string {
  return `[server]
listen = "127.0.0.1:0"
drain_seconds = 5
[metrics]
listen = "127.0.0.1:0"
[forward_auth]
listen = "127.0.0.1:0"
proxy = "nginx"
max_header_bytes = 131072
headers_timeout_ms = 1000
request_timeout_ms = 2000
${options.forwardAuth ?? ""}
[ext_authz]
max_header_bytes = 100000
[truststore]
ca_files = ["pki/root-ca.pem"]
intermediate_files = ["pki/intermediate-ca.pem", "pki/rogue-intermediate-ca.pem"]
[intermediate_cert_validation]
cert_cns = ${JSON.stringify(options.certCns ?? ["certgate-dev-intermediate"])}
exempt_contexts = ["/scim2"]
[revocation]
crl_files = ["pki/intermediate-ca.crl", "pki/rogue-intermediate-ca.crl"]
[client_certificate_based_authentication]
enable = true
[[client_certificate_based_authentication.user_thumbprint_mapping]]
trusted_issuer = "CN=rogue-intermediate,O=certgate"
cert_thumbprint = "*"
allowed_username = ["admin"]
[log]
level = "info"
audit = true
`;
}

async function serve(name: string, text: string, lines: Record<string, unknown>[] = []): Promise<Service> {
  const path = join(dir, `${name}.toml`);
  writeFileSync(path, text);
  return startService(path, pino({ level: "info" }, logSink(lines)));
}

/** The nginx preset's three headers. */
function nginx(cert: string | undefined, uri: string, extra: Record<string, string> = {}): Record<string, string> {
  return { ...(cert === undefined ? {} : { "X-SSL-Client-Cert": escaped(cert) }), "X-Original-URI": uri, "X-Original-Method": "GET", ...extra };
}

describe("the forward-auth listener", () => {
  const lines: Record<string, unknown>[] = [];
  let service: Service;
  let address: string;

  before(async () => {
    await writeDevPki(join(dir, "pki"), new Date());
    service = await serve("main", configText(), lines);
    address = service.forwardAuth!.address;
  });
  after(async () => {
    await service.stop();
  });

  it("answers an allowed client 200 with every principal header, empty where the principal has none", async () => {
    const answer = await ask(address, nginx(pem("client-john"), "/api/users?x=1"));
    assert.equal(answer.status, 200, answer.body);
    assert.equal(answer.headers["x-certgate-user"], "john");
    assert.equal(answer.headers["x-certgate-user-store"], "PRIMARY");
    assert.equal(answer.headers["x-certgate-tenant"], "carbon.super");
    assert.equal(answer.headers["x-certgate-qualified-user"], "john");
    assert.match(String(answer.headers["x-certgate-fingerprint"]), /^[0-9a-f]{64}$/);
    assert.equal(answer.headers["x-certgate-spiffe-id"], "");
    assert.equal(answer.headers["content-length"], "0");
  });

  it("gives the decision Validate gives, as the proxies' statuses and headers", async () => {
    const validator = clientFor("certgate.v1.CertificateValidator", service.server.address);
    const cases: [string | undefined, string, string | undefined][] = [
      ["client-john", "/api/users", undefined],
      ["client-rogue", "/api/users", undefined],
      ["client-rogue", "/scim2/Users", undefined],
      ["client-rogue", "/scim2/Users", "admin"],
      ["client-john", "/scim2/Users", "admin"],
      ["client-expired", "/api/users", undefined],
      ["client-revoked", "/api/users", undefined],
      ["client-untrusted-root", "/api/users", undefined],
      ["client-self-signed", "/api/users", undefined],
      ["client-server-auth-only", "/api/users", undefined],
      [undefined, "/api/users", undefined],
      ["client-john", "/t/other.com/api/users", undefined],
    ];
    try {
      for (const [client, path, user] of cases) {
        const expected = await unary<{ reason: string; http_status: number; principal?: { username: string } }>(validator, "Validate", {
          pem: client === undefined ? "" : pem(client),
          context: path,
          method: "GET",
          ...(user === undefined ? {} : { user_header: user }),
        });
        const answer = await ask(
          address,
          nginx(client === undefined ? undefined : pem(client), path, user === undefined ? {} : { "WSO2-Identity-User": user }),
        );
        const what = `${client} ${path} ${user ?? ""}`;
        assert.equal(answer.status, expected.http_status, what);
        if (answer.status === 200) assert.equal(answer.headers["x-certgate-user"], expected.principal?.username ?? "", what);
        else {
          assert.equal(answer.headers["x-certgate-reason"], expected.reason, what);
          assert.deepEqual(Object.keys(JSON.parse(answer.body)), ["reason", "message"], what);
          assert.equal(answer.headers["www-authenticate"] !== undefined, answer.status === 401, what);
        }
      }
    } finally {
      validator.close();
    }
  });

  it("reads only the preset's headers: forged XFCC, RFC 9440 and X-Forwarded-Uri change nothing", async () => {
    const forged = {
      "X-Forwarded-Client-Cert": `Cert="${escaped(pem("client-john"))}"`,
      "Client-Cert": `:${Buffer.from(pem("client-john")).toString("base64")}:`,
      "X-Forwarded-Uri": "/scim2/Users",
    };
    const rogue = await ask(address, nginx(pem("client-rogue"), "/api/users", forged));
    assert.equal(rogue.headers["x-certgate-reason"], "INTERMEDIATE_CN_NOT_ALLOWED");
    const none = await ask(address, { ...forged, "X-Original-URI": "/api/users", "X-Original-Method": "GET" });
    assert.equal(none.headers["x-certgate-reason"], "NO_CERTIFICATE");
  });

  it("answers hostile input with a refusal, never an allow or a 5xx, and stays alive", async () => {
    const john = pem("client-john");
    const der = Buffer.from(john.replace(/-----[A-Z ]+-----|\s/g, ""), "base64");
    const cases: [string, Record<string, string>, number, string | undefined][] = [
      ["a bad URL escape", { "X-SSL-Client-Cert": "%E0%A4%A", "X-Original-URI": "/api", "X-Original-Method": "GET" }, 401, "MALFORMED_CERTIFICATE"],
      ["garbage", { "X-SSL-Client-Cert": "not a certificate", "X-Original-URI": "/api", "X-Original-Method": "GET" }, 401, "MALFORMED_CERTIFICATE"],
      [
        "truncated DER",
        { "X-SSL-Client-Cert": der.subarray(0, 200).toString("base64"), "X-Original-URI": "/api", "X-Original-Method": "GET" },
        401,
        "MALFORMED_CERTIFICATE",
      ],
      [
        "64 certificates",
        { "X-SSL-Client-Cert": Array(64).fill(der.toString("base64")).join(","), "X-Original-URI": "/api", "X-Original-Method": "GET" },
        401,
        "CHAIN_TOO_LONG",
      ],
      ["no URI header", { "X-SSL-Client-Cert": escaped(john), "X-Original-Method": "GET" }, 403, "INVALID_PROXY_HEADER"],
      ["an encoded slash", nginx(john, "/api%2F..%2Fscim2"), 403, "INVALID_REQUEST_PATH"],
      ["a URI that is not a path", nginx(john, "*"), 403, "INVALID_REQUEST_PATH"],
      ["a dot-dot escape to an exempt context", nginx(pem("client-rogue"), "/api/../scim2/../api/users"), 401, "INTERMEDIATE_CN_NOT_ALLOWED"],
      ["zeros in base64", { "X-SSL-Client-Cert": "A".repeat(4000), "X-Original-URI": "/a", "X-Original-Method": "GET" }, 401, "MALFORMED_CERTIFICATE"],
      ["40 KB of zeros", { "X-SSL-Client-Cert": "A".repeat(40_000), "X-Original-URI": "/a", "X-Original-Method": "GET" }, 401, "CERTIFICATE_TOO_LARGE"],
      [
        "a certificate header over max_header_bytes",
        { "X-SSL-Client-Cert": "A".repeat(110_000), "X-Original-URI": "/a", "X-Original-Method": "GET" },
        401,
        "MALFORMED_CERTIFICATE",
      ],
    ];
    for (const [name, headers, status, reason] of cases) {
      const answer = await ask(address, headers).catch((error: Error): HttpAnswer => ({ status: -1, headers: {}, body: error.message }));
      assert.equal(answer.status, status, `${name}: ${answer.body}`);
      assert.equal(answer.headers["x-certgate-reason"], reason, name);
    }
    // 431, then the connection is closed; a client still writing may see only the reset.
    const huge = await raw(address, `GET /auth HTTP/1.1\r\nHost: x\r\nX-Junk: ${"a".repeat(200_000)}\r\n\r\n`);
    assert.match(huge, /^(HTTP\/1\.1 431 [^]*)?$/);
    const tooMany = Object.fromEntries(Array.from({ length: 150 }, (_, i) => [`x-pad-${i}`, "1"]));
    assert.equal((await ask(address, { ...nginx(john, "/api"), ...tooMany })).status, 431);
    assert.match(await raw(address, "GARBAGE\r\n\r\n"), /^HTTP\/1\.1 400 /);
    assert.match(await raw(address, `GET /auth HTTP/1.1\r\nHost: x\r\nX-SSL-Client-Cert: ${"\u0000"}\r\n\r\n`), /^HTTP\/1\.1 400 /);
    assert.equal((await ask(address, nginx(john, "/api"))).status, 200, "still answering");
  });

  it("closes a slow client's connection (408) without answering its request, and answers others meanwhile", async () => {
    const slow = raw(address, "GET /auth HTTP/1.1\r\nHost: x\r\nX-Original-URI: /api\r\n", 6000);
    assert.equal((await ask(address, nginx(pem("client-john"), "/api"))).status, 200);
    const answered = await slow;
    assert.match(answered, /^HTTP\/1\.1 408 |^$/);
    assert.doesNotMatch(answered, / 200 /);
  });

  it("answers a request with a body without reading it, and closes that connection", async () => {
    const answer = await ask(address, nginx(pem("client-john"), "/api"), { method: "POST", body: "x".repeat(100_000) });
    assert.equal(answer.status, 200);
    assert.equal(answer.headers.connection, "close");
  });

  it("keeps a proxy's pooled connection open across requests", async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const sockets = new Set<unknown>();
    agent.on("free", (socket) => sockets.add(socket));
    try {
      for (let i = 0; i < 20; i++) assert.equal((await ask(address, nginx(pem("client-john"), "/api"), { agent })).status, 200);
      assert.equal(sockets.size, 1);
    } finally {
      agent.destroy();
    }
  });

  it("counts decisions under adapter http and writes one audit line per decision", async () => {
    const before = lines.filter((line) => line.rpc === "ForwardAuth").length;
    await ask(address, nginx(pem("client-rogue"), "/api/audited"));
    await eventually(() => lines.filter((line) => line.rpc === "ForwardAuth").length === before + 1);
    const line = lines.filter((entry) => entry.rpc === "ForwardAuth").at(-1)!;
    assert.equal(line.path, "/api/audited");
    assert.equal(line.reason, "INTERMEDIATE_CN_NOT_ALLOWED");
    assert.equal(line.caller, "127.0.0.1");
    const metrics = await (await fetch(`http://${service.metricsServer!.address}/metrics`)).text();
    assert.match(metrics, /certgate_decisions_total\{adapter="http",rpc="ForwardAuth",reason="OK",allowed="true"\} \d+/);
    assert.match(metrics, /certgate_decisions_total\{adapter="http",rpc="ForwardAuth",reason="INTERMEDIATE_CN_NOT_ALLOWED",allowed="false"\} \d+/);
  });

  it("applies a reloaded configuration to the next request", async () => {
    writeFileSync(join(dir, "main.toml"), configText({ certCns: ["certgate-dev-intermediate", "rogue-intermediate"] }));
    assert.ok(await service.reload("test"));
    assert.equal((await ask(address, nginx(pem("client-rogue"), "/api/users"))).status, 200);
    writeFileSync(join(dir, "main.toml"), configText());
    assert.ok(await service.reload("test"));
    assert.equal((await ask(address, nginx(pem("client-rogue"), "/api/users"))).status, 401);
  });
});

describe("the forward-auth listener's callers", () => {
  it("refuses a peer outside trusted_proxies with 403, unread, logged once and counted", async () => {
    const lines: Record<string, unknown>[] = [];
    const service = await serve("untrusted", configText({ forwardAuth: 'trusted_proxies = ["10.0.0.0/8"]' }), lines);
    try {
      for (let i = 0; i < 3; i++) {
        const answer = await ask(service.forwardAuth!.address, nginx(pem("client-john"), "/api"));
        assert.equal(answer.status, 403);
        assert.equal(answer.headers["x-certgate-user"], undefined);
      }
      assert.equal(lines.filter((line) => String(line.msg).includes("not in forward_auth.trusted_proxies")).length, 1);
      assert.equal(lines.filter((line) => line.rpc === "ForwardAuth").length, 0, "no decision was made");
      const metrics = await (await fetch(`http://${service.metricsServer!.address}/metrics`)).text();
      assert.match(metrics, /certgate_forward_auth_refused_peers_total 3/);
    } finally {
      await service.stop();
    }
  });

  it("over TLS, answers only a proxy whose certificate names an allowed SAN", async () => {
    const tls = `allowed_caller_sans = ["certgate-caller"]
[forward_auth.tls]
cert_file = "pki/server.pem"
key_file = "pki/server.key"
client_ca_files = ["pki/root-ca.pem"]`;
    const service = await serve("tls", configText({ forwardAuth: tls }));
    const key = (name: string) => readFileSync(join(dir, "pki", `${name}.key`));
    const ca = pem("root-ca");
    try {
      const caller = await ask(service.forwardAuth!.address, nginx(pem("client-john"), "/api"), {
        tls: { ca, cert: pem("caller"), key: key("caller"), servername: "localhost" },
      });
      assert.equal(caller.status, 200, caller.body);
      const other = await ask(service.forwardAuth!.address, nginx(pem("client-john"), "/api"), {
        tls: { ca, cert: pem("client-john"), key: key("client-john"), servername: "localhost" },
      });
      assert.equal(other.status, 403);
      await assert.rejects(ask(service.forwardAuth!.address, nginx(pem("client-john"), "/api"), { tls: { ca, servername: "localhost" } }));
    } finally {
      await service.stop();
    }
  });
});
