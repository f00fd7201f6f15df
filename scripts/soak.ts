// `npm run soak`: a bounded run (SOAK_SECONDS, default 60) of mixed valid, invalid and
// malformed traffic, with a reload every SOAK_RELOAD_SECONDS (default 5), against a
// real `certgate serve` on loopback. Prints totals, unexpected gRPC errors (must be 0),
// decisions that differ from the expected one (must be 0) and the server's RSS after
// warm-up and at the end (growth must stay under 20%). Exits non-zero otherwise.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import { writeDevPki } from "../src/devpki/dev-pki.ts";
import { loadDescriptors } from "../src/grpc/descriptors.ts";

const SECONDS = Number(process.env.SOAK_SECONDS ?? 60);
const RELOAD_SECONDS = Number(process.env.SOAK_RELOAD_SECONDS ?? 5);
const IN_FLIGHT = Number(process.env.SOAK_IN_FLIGHT ?? 16);
const dir = mkdtempSync(join(tmpdir(), "certgate-soak-"));
await writeDevPki(join(dir, "pki"), new Date());
const pem = (name: string) => readFileSync(join(dir, "pki", `${name}.pem`), "utf8");

function config(ttl: number): string {
  return (
    `[server]\nlisten = "127.0.0.1:0"\n[metrics]\nlisten = "127.0.0.1:0"\n[truststore]\nca_files = ["pki/root-ca.pem"]\n` +
    `[intermediate_cert_validation]\ncert_cns = ["certgate-dev-intermediate"]\nexempt_contexts = ["/scim2"]\n` +
    `[revocation]\nmode = "soft_fail"\ncrl_files = ["pki/intermediate-ca.crl", "pki/root-ca.crl", "pki/rogue-intermediate-ca.crl"]\n` +
    `[cache]\nttl_seconds = ${ttl}\n[log]\nlevel = "warn"\naudit = false\n` +
    // WSO2 IS 7.2: the rogue intermediate's clients are mapped for the exempt context.
    `[client_certificate_based_authentication]\nenable = true\n[[client_certificate_based_authentication.system_thumbprint_mapping]]\n` +
    `trusted_issuer = "CN=rogue-intermediate,O=certgate"\ncert_thumbprint = "*"\nallowed_system_user = "*"\n`
  );
}
const configPath = join(dir, "deployment.toml");
writeFileSync(configPath, config(300));

// --- The server ----------------------------------------------------------------
// The server runs as production does: the compiled JavaScript (npm run build, run by presoak).
const main = fileURLToPath(new URL("../dist/cli/main.js", import.meta.url));
// The heap limits production should run with (deploy/kubernetes sets the same through NODE_OPTIONS):
// without them V8 sizes its heap from the machine's memory and RSS says little about leaks.
const HEAP_FLAGS = (process.env.SOAK_NODE_FLAGS ?? "--max-old-space-size=192 --max-semi-space-size=16").split(" ").filter(Boolean);
// The Dockerfile's and deploy/kubernetes' environment.
const server = spawn(process.execPath, [...HEAP_FLAGS, main, "serve", "--config", configPath], {
  stdio: ["ignore", "pipe", "inherit"],
  env: { ...process.env, MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX ?? "2" },
});
const { address, metrics } = await new Promise<{ address: string; metrics: string }>((resolve, reject) => {
  createInterface({ input: server.stdout! }).on("line", (line) => {
    const entry = JSON.parse(line) as { msg?: string; address?: string; metrics?: string };
    if (entry.msg?.startsWith("certgate listening")) resolve({ address: entry.address!, metrics: entry.metrics! });
  });
  server.once("exit", (code) => reject(new Error(`server exited ${code}`)));
});

async function rssBytes(): Promise<number> {
  const text = await (await fetch(`http://${metrics}/metrics`)).text();
  return Number(/certgate_process_resident_memory_bytes (\d+)/.exec(text)?.[1] ?? 0);
}

// --- The traffic, each call with the answer it must get --------------------------
type Expect = { reason: string } | { status: number } | { grpcCode: grpc.status };
interface Case {
  readonly name: string;
  readonly service: "Validate" | "Check";
  readonly request: object;
  readonly expect: Expect;
}
const xfcc = (chain: string) => ({ key: "x-forwarded-client-cert", value: `By=spiffe://soak;Chain="${encodeURIComponent(chain)}"` });
const cases: Case[] = [
  { name: "valid", service: "Validate", request: { pem: pem("client-john"), context: "/api/users", method: "GET" }, expect: { reason: "OK" } },
  {
    name: "valid tenant user",
    service: "Validate",
    request: { pem: pem("client-secondary-john-tenant"), context: "/api", method: "POST" },
    expect: { reason: "OK" },
  },
  {
    name: "rogue",
    service: "Validate",
    request: { pem: pem("client-rogue"), context: "/api/users", method: "GET" },
    expect: { reason: "INTERMEDIATE_CN_NOT_ALLOWED" },
  },
  { name: "rogue exempt", service: "Validate", request: { pem: pem("client-rogue"), context: "/scim2/Users", method: "GET" }, expect: { reason: "OK" } },
  { name: "expired", service: "Validate", request: { pem: pem("client-expired"), context: "/", method: "GET" }, expect: { reason: "CERTIFICATE_EXPIRED" } },
  { name: "revoked", service: "Validate", request: { pem: pem("client-revoked"), context: "/", method: "GET" }, expect: { reason: "REVOKED" } },
  { name: "untrusted", service: "Validate", request: { pem: pem("client-untrusted-root"), context: "/", method: "GET" }, expect: { reason: "PATH_NOT_FOUND" } },
  {
    name: "garbage PEM",
    service: "Validate",
    request: { pem: "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----", context: "/" },
    expect: { reason: "MALFORMED_CERTIFICATE" },
  },
  {
    name: "random DER",
    service: "Validate",
    request: { der: [Buffer.from("30820102deadbeef", "hex")], context: "/" },
    expect: { reason: "MALFORMED_CERTIFICATE" },
  },
  {
    name: "bad path",
    service: "Validate",
    request: { pem: pem("client-john"), context: "/a%2F..%2Fb", method: "GET" },
    expect: { reason: "INVALID_REQUEST_PATH" },
  },
  { name: "no chain", service: "Validate", request: { context: "/" }, expect: { reason: "NO_CERTIFICATE" } },
  {
    name: "pem and der",
    service: "Validate",
    request: { pem: pem("client-john"), der: [Buffer.from("3000", "hex")], context: "/" },
    expect: { grpcCode: grpc.status.INVALID_ARGUMENT },
  },
  { name: "oversized", service: "Validate", request: { pem: "A".repeat(70 * 1024), context: "/" }, expect: { grpcCode: grpc.status.RESOURCE_EXHAUSTED } },
  {
    name: "ext_authz valid",
    service: "Check",
    request: { attributes: { request: { http: { method: "GET", path: "/api", headers: [xfcc(pem("client-john"))] } } } },
    expect: { status: 0 },
  },
  {
    name: "ext_authz rogue",
    service: "Check",
    request: { attributes: { request: { http: { method: "GET", path: "/api", headers: [xfcc(pem("client-rogue"))] } } } },
    // UNAUTHENTICATED: WSO2 answers an intermediate CN off the list 401.
    expect: { status: 16 },
  },
  {
    name: "ext_authz malformed",
    service: "Check",
    request: { attributes: { request: { http: { method: "GET", path: "/api", headers: [{ key: "x-forwarded-client-cert", value: 'Cert="broken' }] } } } },
    expect: { status: 16 },
  },
];

const descriptors = loadDescriptors();
const constructorOf = (name: string) => {
  let node: unknown = descriptors.grpcObject;
  for (const part of name.split(".")) node = (node as Record<string, unknown>)[part];
  return node as new (address: string, credentials: grpc.ChannelCredentials) => grpc.Client & Record<string, Function>;
};
const clients = {
  Validate: new (constructorOf("certgate.v1.CertificateValidator"))(address, grpc.credentials.createInsecure()),
  Check: new (constructorOf("envoy.service.auth.v3.Authorization"))(address, grpc.credentials.createInsecure()),
};

let total = 0;
let unexpectedErrors = 0;
let mismatches = 0;
const firstProblems: string[] = [];
const note = (problem: string) => firstProblems.length < 10 && firstProblems.push(problem);

function once(item: Case): Promise<void> {
  return new Promise((resolve) => {
    clients[item.service][item.service]!.call(
      clients[item.service],
      item.request,
      (error: grpc.ServiceError | null, response: { reason?: string; status?: { code: number } }) => {
        total++;
        if (error) {
          if (!("grpcCode" in item.expect) || error.code !== item.expect.grpcCode) {
            unexpectedErrors++;
            note(`${item.name}: gRPC ${error.code} ${error.details}`);
          }
        } else if (
          "reason" in item.expect ? response.reason !== item.expect.reason : "status" in item.expect ? response.status?.code !== item.expect.status : true
        ) {
          mismatches++;
          note(`${item.name}: got ${JSON.stringify(response.reason ?? response.status)}`);
        }
        resolve();
      },
    );
  });
}

// --- The run ---------------------------------------------------------------------
const started = Date.now();
const end = started + SECONDS * 1000;
let reloads = 0;
const reloader = setInterval(() => {
  reloads++;
  writeFileSync(configPath, config(reloads % 2 === 0 ? 300 : 301));
  server.kill("SIGHUP");
}, RELOAD_SECONDS * 1000);
let rssAfterWarmup = 0;
setTimeout(() => void rssBytes().then((rss) => (rssAfterWarmup = rss)), Math.min(10_000, SECONDS * 200));
let next = 0;
await Promise.all(
  Array.from({ length: IN_FLIGHT }, async () => {
    while (Date.now() < end) await once(cases[next++ % cases.length]!);
  }),
);
clearInterval(reloader);
const rssEnd = await rssBytes();
clients.Validate.close();
clients.Check.close();
server.kill("SIGTERM");
const exitCode = await new Promise<number | null>((resolve) => server.once("exit", resolve));

const growth = rssAfterWarmup > 0 ? (rssEnd - rssAfterWarmup) / rssAfterWarmup : 0;
const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
console.log(`soak ${SECONDS}s, ${IN_FLIGHT} in flight, ${reloads} reloads (SIGHUP), server node flags: ${HEAP_FLAGS.join(" ")}`);
console.log(`calls ${total} (${(total / SECONDS).toFixed(0)}/s)  unexpected gRPC errors ${unexpectedErrors}  decision mismatches ${mismatches}`);
console.log(`server RSS after warm-up ${mb(rssAfterWarmup)} MB, at end ${mb(rssEnd)} MB (growth ${(growth * 100).toFixed(1)}%)  exit on SIGTERM: ${exitCode}`);
for (const problem of firstProblems) console.log(`  ${problem}`);
const ok = unexpectedErrors === 0 && mismatches === 0 && growth < 0.2 && exitCode === 0;
console.log(ok ? "PASS" : "FAIL");
process.exit(ok ? 0 : 1);
