// Real proxies in front of certgate, as users run them: a PKI made with OpenSSL's
// command line, the proxy started from the shipped example (its ports and file paths
// rewritten to the test's, nothing else), an upstream that echoes what reached it, and
// a mutual-TLS client.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type IncomingHttpHeaders } from "node:http";
import { connect, createServer as createTcpServer } from "node:net";
import { join } from "node:path";
import { opensslIssue, opensslSelfSigned, type OpensslCert } from "./foreign/openssl.ts";
import { ask, type HttpAnswer } from "./http-client.ts";

/** A port nothing listens on now (bound to 0 and released), for a proxy whose config needs a number. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createTcpServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface ProxyPki {
  readonly root: OpensslCert;
  readonly issuing: OpensslCert;
  readonly rogue: OpensslCert;
  readonly server: OpensslCert;
  /** A client of the allowed intermediate ("issuing-ca"). */
  readonly alice: OpensslCert;
  /** A client of an intermediate the allow-list leaves out ("rogue-ca"). */
  readonly mallory: OpensslCert;
}

const CA = ["basicConstraints = critical, CA:TRUE, pathlen:0", "keyUsage = critical, keyCertSign, cRLSign", "subjectKeyIdentifier = hash"];
const CLIENT = ["basicConstraints = CA:FALSE", "keyUsage = critical, digitalSignature", "extendedKeyUsage = clientAuth", "authorityKeyIdentifier = keyid"];

/** The PKI an operator makes by hand with `openssl req` and `openssl x509 -req`. */
export function opensslProxyPki(dir: string): ProxyPki {
  mkdirSync(dir, { recursive: true });
  const root = opensslSelfSigned(dir, "root", "/CN=proxy-test-root/O=certgate", [
    "basicConstraints = critical, CA:TRUE",
    "keyUsage = critical, keyCertSign, cRLSign",
    "subjectKeyIdentifier = hash",
  ]);
  const issuing = opensslIssue(dir, root, "issuing", "/CN=issuing-ca/O=certgate", CA);
  const rogue = opensslIssue(dir, root, "rogue", "/CN=rogue-ca/O=certgate", CA);
  const server = opensslIssue(dir, root, "server", "/CN=localhost", [
    "basicConstraints = CA:FALSE",
    "keyUsage = critical, digitalSignature",
    "extendedKeyUsage = serverAuth",
    "subjectAltName = DNS:localhost, IP:127.0.0.1",
  ]);
  const alice = opensslIssue(dir, issuing, "alice", "/CN=alice/O=certgate", CLIENT);
  const mallory = opensslIssue(dir, rogue, "mallory", "/CN=mallory/O=certgate", CLIENT);
  return { root, issuing, rogue, server, alice, mallory };
}

/** certgate's side: trusting the root, completing leaves from both intermediates, "issuing-ca" allowed, /public exempt. */
export function certgateToml(pki: ProxyPki, proxy: string): string {
  return `[server]
listen = "127.0.0.1:0"
drain_seconds = 2
[metrics]
listen = ""
[forward_auth]
listen = "127.0.0.1:0"
proxy = "${proxy}"
[truststore]
ca_files = ["${pki.root.pem}"]
intermediate_files = ["${pki.issuing.pem}", "${pki.rogue.pem}"]
[intermediate_cert_validation]
cert_cns = ["issuing-ca"]
exempt_contexts = ["/public"]
[client_certificate_based_authentication]
enable = true
[[client_certificate_based_authentication.system_thumbprint_mapping]]
trusted_issuer = "CN=rogue-ca,O=certgate"
cert_thumbprint = "*"
allowed_system_user = "*"
[log]
level = "warn"
`;
}

export interface Echo {
  readonly address: string;
  /** The headers of every request that reached the upstream, in order. */
  readonly seen: IncomingHttpHeaders[];
  close(): Promise<void>;
}

/** The application behind the proxy: answers 200 with the request's headers as JSON. */
export function echoUpstream(): Promise<Echo> {
  const seen: IncomingHttpHeaders[] = [];
  const server = createServer((req, res) => {
    seen.push(req.headers);
    const body = JSON.stringify({ path: req.url, headers: req.headers });
    res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) }).end(body);
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      resolve({ address: `127.0.0.1:${port}`, seen, close: () => new Promise((done) => server.close(() => done())) });
    });
  });
}

/** The shipped example with each `[from, to]` replaced; every `from` must occur (an edit to the example shows here). */
export function rewriteExample(example: string, replacements: readonly (readonly [string, string])[]): string {
  let text = readFileSync(new URL(`../../examples/${example}`, import.meta.url), "utf8");
  for (const [from, to] of replacements) {
    assert.ok(text.includes(from), `examples/${example} no longer contains ${JSON.stringify(from)}`);
    text = text.replaceAll(from, to);
  }
  return text;
}

export interface RunningProcess {
  readonly child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/** Starts a proxy and waits until `port` accepts connections. */
export async function startProcess(
  command: string,
  args: readonly string[],
  port: number,
  options: { cwd: string; env?: NodeJS.ProcessEnv },
): Promise<RunningProcess> {
  const child = spawn(command, args, { cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${command} exited ${child.exitCode}:\n${output}`);
    if (await accepts(port)) break;
    if (Date.now() > deadline) throw new Error(`${command} did not listen on ${port}:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    child,
    output: () => output,
    async stop() {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1", () => {
      socket.destroy();
      resolve(true);
    });
    socket.on("error", () => resolve(false));
  });
}

/** A client of the proxy: HTTPS, its own certificate (or none), any headers it likes. */
export function mtlsGet(port: number, path: string, pki: ProxyPki, client: OpensslCert | undefined, headers: Record<string, string> = {}): Promise<HttpAnswer> {
  const identity = client === undefined ? {} : { cert: readFileSync(client.pem), key: readFileSync(client.key) };
  return ask(
    `127.0.0.1:${port}`,
    { host: `localhost:${port}`, ...headers },
    { path, tls: { ca: readFileSync(pki.root.pem), servername: "localhost", ...identity } },
  );
}

/** Writes `text` to `dir/name` and returns the path. */
export function writeIn(dir: string, name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}
