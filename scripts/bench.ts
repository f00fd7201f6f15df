// `npm run bench`: certgate against its ceilings, in one run, on this machine.
//
// Server and load generators run in separate processes (BENCH_CLIENTS grpc-js
// clients sending pre-encoded requests, BENCH_IN_FLIGHT calls outstanding in all).
// Client and server share the cores, so the primary figure is calls per server
// CPU-second (the server's own process.cpuUsage() over the measured window).
import { X509Certificate } from "node:crypto";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createFileRegistry, fromBinary, fromJson, toBinary, type JsonValue } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { Authority, type Issued } from "../src/devpki/ca.ts";
import { issueSvid, spiffeBundleJson, spiffeRoot } from "../src/devpki/spiffe.ts";
import { loadConfigFile } from "../src/config/load.ts";
import { loadTrustDomains, loadTrustStore } from "../src/config/trust-material.ts";
import { validatorSettings } from "../src/config/validator-settings.ts";
import { loadDescriptors } from "../src/grpc/descriptors.ts";
import { createValidator } from "../src/validator/validator.ts";
import { decodeCertificate } from "../src/pki/certificate/certificate.ts";
import { crlBenchmarks } from "./bench/crl.ts";
import {
  SERVER_ENV,
  SERVER_FLAGS,
  formatResult,
  idleRss,
  perItem,
  scenario as measure,
  sideBySide,
  type Load,
  type Result,
  type Spec,
} from "./bench/harness.ts";
import { fixedRate } from "./bench/rate.ts";
import { Samples, formatSpread, interleaved, sideBySideRounds, spreadOf, type Spread } from "./bench/samples.ts";

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const SECONDS = env("BENCH_SECONDS", 5);
/** Interleaved rounds of each group of scenarios a ratio compares. */
const REPEAT = env("BENCH_REPEAT", 3);
const WARMUP_MS = env("BENCH_WARMUP_MS", 1500);
const CLIENTS = env("BENCH_CLIENTS", 2);
const IN_FLIGHT = env("BENCH_IN_FLIGHT", 64);
// Enough distinct leaves that none repeats within validate-cold's window.
const COLD_LEAVES = env("BENCH_COLD_LEAVES", 4000);
// Distinct chains for the cache-bound scenario (1,000,000 for the issue's target; ~10 min).
const DISTINCT = env("BENCH_DISTINCT", 150_000);
// How long an idle server is left to settle before its RSS is read.
const IDLE_SETTLE_MS = env("BENCH_IDLE_SETTLE_MS", 3000);
const dir = mkdtempSync(join(tmpdir(), "certgate-bench-"));

// --- PKI and payloads -------------------------------------------------------
const now = new Date();
const validity = { notBefore: new Date(now.getTime() - 3_600_000), notAfter: new Date(now.getTime() + 30 * 86_400_000) };
const root = await Authority.root({ subject: "CN=bench-root, O=certgate", ...validity });
const intermediate = await root.intermediate({ subject: "CN=bench-intermediate, O=certgate", ...validity, pathLength: 0 });
const john = await intermediate.client({ subject: "CN=john, O=certgate", ...validity });
process.stdout.write(`generating ${COLD_LEAVES} distinct leaves (ECDSA P-256)... `);
const leaves: Issued[] = [];
for (let i = 0; i < COLD_LEAVES; i++) leaves.push(await intermediate.client({ subject: `CN=user-${i}, O=certgate`, ...validity }));
console.log("done");
// The SPIFFE variant of the warm call: the same shape (ECDSA leaf + issuing CA), an SVID
// under one of two trust domains, its principal from one URI-SAN mapping.
const benchDomain = await spiffeRoot("bench.example", validity);
const otherDomain = await spiffeRoot("other.example", validity);
const benchIssuing = await benchDomain.intermediate({
  subject: "CN=bench-spiffe-intermediate, O=bench.example",
  ...validity,
  pathLength: 0,
  uris: ["spiffe://bench.example"],
});
const svid = await issueSvid(benchIssuing, "spiffe://bench.example/ns/users/sa/john", validity);
writeFileSync(join(dir, "bench.example.bundle.json"), await spiffeBundleJson([benchDomain]));
writeFileSync(join(dir, "other.example.pem"), otherDomain.pem);
writeFileSync(join(dir, "root.pem"), root.pem);
writeFileSync(join(dir, "intermediate.der"), intermediate.der);

const registry = createFileRegistry(fromBinary(FileDescriptorSetSchema, loadDescriptors().set));
const encode = (type: string, json: unknown) => {
  const schema = registry.getMessage(type)!;
  return Buffer.from(toBinary(schema, fromJson(schema, json as JsonValue)));
};
/** Writes messages as 4-byte big-endian length + bytes, the format bench/client.ts reads. */
function framed(name: string, messages: readonly Uint8Array[]): string {
  const path = join(dir, name);
  writeFileSync(
    path,
    Buffer.concat(
      messages.flatMap((message) => {
        const length = Buffer.alloc(4);
        length.writeUInt32BE(message.length);
        return [length, Buffer.from(message)];
      }),
    ),
  );
  return path;
}
const warmRequest = encode("certgate.v1.ValidateRequest", { pem: john.pem + intermediate.pem, context: "/api/users/v1/me", method: "GET" });
const warm = framed("warm.bin", [warmRequest]);
const warmSpiffe = framed("warm-spiffe.bin", [
  encode("certgate.v1.ValidateRequest", { pem: svid.pem + benchIssuing.pem, context: "/api/users/v1/me", method: "GET" }),
]);
const cold = framed(
  "cold.bin",
  leaves.map((leaf) => encode("certgate.v1.ValidateRequest", { pem: leaf.pem + intermediate.pem, context: "/api/users/v1/me", method: "GET" })),
);
const check = framed("check.bin", [
  encode("envoy.service.auth.v3.CheckRequest", {
    attributes: {
      request: {
        http: {
          method: "GET",
          path: "/api/users/v1/me",
          headers: { "x-forwarded-client-cert": `By=spiffe://bench;Chain="${encodeURIComponent(john.pem + intermediate.pem)}"` },
        },
      },
    },
  }),
]);
const leafDers = framed(
  "leaves.bin",
  leaves.map((leaf) => leaf.der),
);
const echoResponse = join(dir, "echo-response.bin");
writeFileSync(
  echoResponse,
  encode("certgate.v1.ValidateResponse", {
    allowed: true,
    reason: "OK",
    message: "chain verified for john",
    httpStatus: 200,
    principal: { username: "john", userStoreDomain: "PRIMARY", tenantDomain: "carbon.super", qualifiedUsername: "john" },
  }),
);

// --- Configs ----------------------------------------------------------------
/** The config every bench server shares: ephemeral listeners, the bench root, the CN list, quiet logs. */
function baseToml(cns: readonly string[] = ["bench-intermediate"], truststore = "", server = ""): string {
  return (
    `[server]\nlisten = "127.0.0.1:0"\n${server}[metrics]\nlisten = "127.0.0.1:0"\n[truststore]\nca_files = ["root.pem"]\n${truststore}` +
    `[intermediate_cert_validation]\ncert_cns = ${JSON.stringify(cns)}\n[log]\nlevel = "warn"\naudit = false\n`
  );
}
interface ConfigExtra {
  readonly certCns?: string[];
  readonly rules?: string[];
  readonly more?: string;
  readonly truststore?: string;
  readonly server?: string;
}
function config(name: string, extra: ConfigExtra = {}): string {
  const rules = (extra.rules ?? []).map((context) => `[[resource.access_control]]\ncontext = ${JSON.stringify(context)}\nhttp_method = "all"\n`).join("");
  const path = join(dir, `${name}.toml`);
  writeFileSync(path, baseToml(extra.certCns, extra.truststore, extra.server) + rules + (extra.more ?? ""));
  return path;
}
const baseConfig = config("base");
const cns10k = config("cns-10k", { certCns: [...Array.from({ length: 9999 }, (_, i) => `other-intermediate-${i}`), "bench-intermediate"] });
const spiffeConfig = config("spiffe", {
  certCns: ["bench-intermediate", "bench-spiffe-intermediate"],
  more:
    `[principal]\nsource = "uri_san"\n` +
    `[[principal.mapping]]\nmatch = "spiffe://{td}/ns/{ns}/sa/{sa}"\nusername = "{sa}"\nuser_store = "SPIFFE"\ntenant = "{ns}.svc"\n` +
    `[[trust_domain]]\nname = "bench.example"\nbundle_file = "bench.example.bundle.json"\n` +
    `[[trust_domain]]\nname = "other.example"\nca_files = ["other.example.pem"]\n`,
});
/** A warm scenario measures the allowed path: a payload that is refused would measure a cached denial. */
function expectAllowed(configPath: string, pem: string): void {
  const loaded = loadConfigFile(configPath);
  const trust = loadTrustStore(loaded);
  const validator = createValidator(validatorSettings(loaded, { trust, trustDomains: loadTrustDomains(loaded, trust.intermediates) }));
  const decision = validator.validate({ chain: { pem }, context: "/api/users/v1/me", method: "GET" }, new Date());
  if (!decision.allowed) throw new Error(`the bench payload for ${configPath} is refused: ${decision.reason}: ${decision.message}`);
}
// Forward auth as nginx asks: the leaf alone (URL-encoded PEM), completed from intermediate_files.
const forwardAuthConfig = config("forward-auth", {
  truststore: `intermediate_files = ["intermediate.der"]\n`,
  more: `[forward_auth]\nlisten = "127.0.0.1:0"\nproxy = "nginx"\n`,
});
const nginxRequest =
  `GET /certgate-auth HTTP/1.1\r\nHost: certgate\r\nX-SSL-Client-Cert: ${encodeURIComponent(john.pem)}\r\n` +
  `X-Original-URI: /api/users/v1/me\r\nX-Original-Method: GET\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n`;
const workers2 = config("workers-2", { server: "workers = 2\n" });
const rules1 = config("rules-1", { rules: ["(.*)/api/users/v1/(.*)"] });
const rules1000 = config("rules-1000", { rules: [...Array.from({ length: 999 }, (_, i) => `(.*)/service-${i}/(.*)`), "(.*)/api/users/v1/(.*)"] });

expectAllowed(baseConfig, john.pem + intermediate.pem);
expectAllowed(forwardAuthConfig, john.pem);
expectAllowed(spiffeConfig, svid.pem + benchIssuing.pem);

// --- The run ------------------------------------------------------------------
const harness = {
  dir,
  seconds: SECONDS,
  warmupMs: WARMUP_MS,
  clients: CLIENTS,
  inFlight: IN_FLIGHT,
  leavesFile: leafDers,
  intermediateFile: join(dir, "intermediate.der"),
};
const scenario = (name: string, serverArgs: string[], load: Load) => measure(harness, name, serverArgs, load);
const spec = (name: string, serverArgs: string[], load: Load): Spec => ({ name, serverArgs, load });
/** A ratio per server CPU-second: the measured scenario beside its baseline, both under load over the same window. */
const pair = (baseline: Spec, measured: Spec) => [baseline.name, measured.name, () => sideBySide(harness, [baseline, measured])] as const;
/** `work` on each distinct leaf's DER in turn, in this process: leaves per CPU-second. */
const perLeaf = (name: string, work: (der: Uint8Array) => void) =>
  perItem(
    name,
    leaves.map((leaf) => leaf.der),
    SECONDS,
    work,
  );
/** certgate's decoder on distinct leaves, in-process: what a never-seen certificate costs before its signature check. */
const decodeLeaf = () =>
  perLeaf("decode-leaf", (der) => {
    if (!decodeCertificate(der).ok) throw new Error("bench leaf did not decode");
  });
/** The work a cold request cannot avoid: parse the leaf DER, verify it with the parsed intermediate key. */
function cryptoCeiling(): Result {
  const key = new X509Certificate(intermediate.der).publicKey;
  return perLeaf("crypto", (der) => {
    if (!new X509Certificate(der).verify(key)) throw new Error("bench leaf did not verify");
  });
}

const validate = "/certgate.v1.CertificateValidator/Validate";
const machine = `node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model ?? "?"})`;
const load = `${CLIENTS} client processes, ${IN_FLIGHT} in flight, ${SECONDS}s per scenario, ${REPEAT} interleaved rounds`;
console.log(`${machine}, ${load}, server flags: ${SERVER_FLAGS.join(" ")}, MALLOC_ARENA_MAX=${SERVER_ENV.MALLOC_ARENA_MAX ?? "(glibc default)"}`);
const results: Result[] = [];
const samples = new Samples();
const report = (r: Result) => {
  results.push(r);
  samples.add(r);
  console.log(formatResult(r));
};
// BENCH_ONLY=name,name runs those scenarios alone (ratios needing a missing one are skipped).
const only = process.env.BENCH_ONLY?.split(",").filter(Boolean);
const wanted = (name: string) => only === undefined || only.some((prefix) => name.startsWith(prefix));
async function run(name: string, measure: () => Result | Promise<Result>): Promise<void> {
  if (wanted(name)) report(await measure());
}
const checkPath = "/envoy.service.auth.v3.Authorization/Check";
// Each group's scenarios run interleaved, REPEAT rounds: the ratios below compare runs of the same round.
await interleaved(
  [
    ["echo", () => scenario("echo", ["echo", echoResponse], { path: validate, payloads: warm })],
    ["crypto", cryptoCeiling],
    ["decode-leaf", decodeLeaf],
    ["validate-warm", () => scenario("validate-warm", ["certgate", baseConfig], { path: validate, payloads: warm })],
    ["validate-cold", () => scenario("validate-cold", ["certgate", baseConfig], { path: validate, payloads: cold })],
    // `certgate serve` with two workers; CPU summed over the primary and both workers; four connections per client, spread over them.
    ["validate-warm-workers-2", () => scenario("validate-warm-workers-2", ["serve", workers2], { path: validate, payloads: warm, connections: 4 })],
  ],
  REPEAT,
  wanted,
  report,
);
// The per-CPU-second ratios: each scenario beside its baseline, REPEAT rounds.
const echoSpec = spec("echo", ["echo", echoResponse], { path: validate, payloads: warm });
const warmSpec = spec("validate-warm", ["certgate", baseConfig], { path: validate, payloads: warm });
await sideBySideRounds(
  [
    pair(echoSpec, warmSpec),
    pair(echoSpec, spec("ext-authz-warm", ["certgate", baseConfig], { path: checkPath, payloads: check })),
    pair(warmSpec, spec("validate-warm-spiffe", ["certgate", spiffeConfig], { path: validate, payloads: warmSpiffe })),
    pair(warmSpec, spec("validate-warm-cns-10k", ["certgate", cns10k], { path: validate, payloads: warm })),
    pair(
      spec("http-echo", ["http-echo"], { path: "", http: { request: nginxRequest } }),
      spec("forward-auth-warm", ["certgate", forwardAuthConfig], { path: "", http: { request: nginxRequest } }),
    ),
    pair(
      spec("validate-warm-rules-1", ["certgate", rules1], { path: validate, payloads: warm }),
      spec("validate-warm-rules-1000", ["certgate", rules1000], { path: validate, payloads: warm }),
    ),
  ],
  REPEAT,
  wanted,
  (baseline, measured) => {
    if (!samples.hasPairs()) console.log("side by side (each pair shares the machine over one window; per server CPU-s):");
    results.push(baseline, measured);
    samples.addPair(baseline, measured);
    console.log(`  ${formatResult(measured)}\n    beside ${formatResult(baseline)}`);
  },
);
const rateLines = await fixedRate({
  rates: (process.env.BENCH_RATES ?? "1000,3000,5000").split(",").map(Number),
  repeat: REPEAT,
  wanted: (name) => wanted(name) || wanted("rate"),
  report,
  samples,
  at: (rate) => ({
    echo: () => scenario(`rate-${rate}-echo`, ["echo", echoResponse], { path: validate, payloads: warm, rate }),
    validate: () => scenario(`rate-${rate}-validate`, ["certgate", baseConfig], { path: validate, payloads: warm, rate }),
    check: () => scenario(`rate-${rate}-check`, ["certgate", baseConfig], { path: checkPath, payloads: check, rate }),
  }),
});
if (DISTINCT > 0) {
  // Distinct chains at the measured cold rate (BENCH_DISTINCT_RATE without one), long enough to pass DISTINCT calls.
  const coldRate = samples.median("validate-cold")?.perSecond ?? env("BENCH_DISTINCT_RATE", 5000);
  await run("distinct-chains", () =>
    scenario(`distinct-chains-${DISTINCT}`, ["certgate", baseConfig], {
      path: validate,
      combos: true,
      durationMs: Math.ceil((DISTINCT / Math.max(coldRate, 1)) * 1000),
    }),
  );
}

// Revocation at scale: CRLs of 10k-1M entries (BENCH_ONLY=crl for these alone).
const crl = ["crl-load", "crl-reload", "validate-cold-crl"].some(wanted)
  ? await crlBenchmarks({ harness, intermediate, warm, cold, baseToml: baseToml(), report }, wanted, samples.median("validate-cold"))
  : undefined;

const idleRssMb = wanted("idle") ? await idleRss(IDLE_SETTLE_MS) : Number.NaN;
if (!Number.isNaN(idleRssMb)) console.log(`idle certgate serve (npm start, built-in default): RSS ${idleRssMb.toFixed(0)} MB after ${IDLE_SETTLE_MS} ms`);

const get = (name: string) => samples.median(name) ?? { perCpuSecond: Number.NaN, perSecond: Number.NaN, p99: Number.NaN, peakRssMb: Number.NaN };
const line = (label: string, value: Spread | undefined, target: string) => {
  if (value !== undefined) console.log(`${label.padEnd(52)} ${formatSpread(value)}   (target ${target})`);
};
const single = (value: number) => (Number.isFinite(value) ? { median: value, min: value, max: value, rounds: 1 } : undefined);
// A cold call pays the transport and the crypto: its honest ceiling is the two together, per round.
const ceilings = samples.runs("echo").map((echo, i) => 1 / (1 / echo.perCpuSecond + 1 / (samples.runs("crypto")[i]?.perCpuSecond ?? Number.NaN)));
const coldCeiling =
  get("validate-cold").perCpuSecond === undefined ? Number.NaN : (ceilings.sort((a, b) => a - b)[Math.floor((ceilings.length - 1) / 2)] ?? Number.NaN);
console.log(`\nmedian of ${REPEAT} interleaved rounds (min-max); each ratio within a round`);
if (!Number.isNaN(coldCeiling)) console.log(`cold ceiling 1/(1/echo + 1/crypto)                   ${coldCeiling.toFixed(0)} calls/server-CPU-s`);
line("decode-leaf / crypto (per CPU-s)", samples.ratio("crypto", "decode-leaf"), ">= 1");
const coldRatios = samples.runs("validate-cold").map((run, i) => run.perCpuSecond / (ceilings[i] ?? Number.NaN));
line("validate-cold / cold ceiling (per CPU-s)", spreadOf(coldRatios), ">= 0.70");
line("validate-warm / echo (per server CPU-s)", samples.ratio("echo", "validate-warm"), ">= 0.85");
line("ext-authz-warm / echo (per server CPU-s)", samples.ratio("echo", "ext-authz-warm"), ">= 0.75");
line("forward-auth-warm / http-echo (per server CPU-s)", samples.ratio("http-echo", "forward-auth-warm"), ">= 0.80");
line("2 workers / 1 (per server CPU-s, all processes)", samples.ratio("validate-warm", "validate-warm-workers-2"), ">= 0.90");
line("2 workers / 1 (calls/s)", samples.ratio("validate-warm", "validate-warm-workers-2", "perSecond"), ">= 1.25");
for (const rateLine of rateLines) console.log(rateLine);
line("p99 validate-warm / p99 echo", samples.ratio("echo", "validate-warm", "p99"), "<= 1.5");
line("SVID, 1 mapping, 2 trust domains / validate-warm", samples.ratio("validate-warm", "validate-warm-spiffe"), ">= 0.95");
line("10000 cert_cns / 1 (per server CPU-s)", samples.ratio("validate-warm", "validate-warm-cns-10k"), ">= 0.95");
line("1000 rules / 1 rule (per server CPU-s)", samples.ratio("validate-warm-rules-1", "validate-warm-rules-1000"), ">= 0.95");
const distinct = results.find((r) => r.name.startsWith("distinct-chains"));
if (distinct !== undefined) {
  line(`${distinct.name} / validate-cold (per CPU-s)`, single(distinct.perCpuSecond / get("validate-cold").perCpuSecond), ">= 0.90");
  console.log(`${`${distinct.name} peak RSS`.padEnd(52)} ${distinct.peakRssMb.toFixed(0)} MB   (target <= 250 MB at 1000000)`);
}
if (!Number.isNaN(idleRssMb)) console.log(`${"idle RSS".padEnd(52)} ${idleRssMb.toFixed(0)} MB   (target <= 90 MB)`);
for (const crlLine of crl?.lines ?? []) console.log(crlLine);
if (crl?.coldWith !== undefined)
  line("validate-cold with a 1M-entry CRL / without (per CPU-s)", single(crl.coldWith.perCpuSecond / get("validate-cold").perCpuSecond), ">= 0.95");
if (crl?.reload !== undefined && crl.warmWith !== undefined) {
  const { reload, warmWith } = crl;
  console.log(`${"crl-reload-under-load errors".padEnd(52)} ${reload.errors}   (target 0)`);
  const loop = (result: Result) => (result.loopMaxMs ?? Number.NaN).toFixed(1);
  console.log(`${"crl-reload-under-load max event-loop delay".padEnd(52)} ${loop(reload)} ms   (target <= 50 ms; ${loop(warmWith)} ms without reloads)`);
  line("p99 with reloads every 2 s / p99 without", single(reload.p99 / warmWith.p99), "<= 1.5");
}

mkdirSync(fileURLToPath(new URL("../bench", import.meta.url)), { recursive: true });
const out = fileURLToPath(new URL("../bench/results.json", import.meta.url));
writeFileSync(
  out,
  JSON.stringify(
    {
      at: new Date().toISOString(),
      node: process.version,
      cores: cpus().length,
      clients: CLIENTS,
      inFlight: IN_FLIGHT,
      seconds: SECONDS,
      idleRssMb,
      coldCeiling,
      results,
    },
    null,
    2,
  ) + "\n",
);
console.log(`\nwrote ${out}`);
process.exit(0);
