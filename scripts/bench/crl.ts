// `npm run bench`, revocation at scale: CRLs of 10k, 100k and 1M entries made by
// `openssl ca -gencrl` from a generated index.txt (not committed), signed by the bench
// intermediate. Measured against OpenSSL and against certgate itself in the same run:
//   crl-load-N          wall time to read and verify the CRL (a worker thread), beside
//                       `openssl crl -noout` on the same file; RSS a serving process grows by;
//   validate-cold       with the 1M-entry CRL held for the clients' issuer / without;
//   crl-reload-under-load  validate-warm while the 1M-entry CRL is replaced every 2 s:
//                       errors, the longest event-loop delay, p99 against no reloads.
import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Authority } from "../../src/devpki/ca.ts";
import { decodeCrlFileOffThread, signerKeys } from "../../src/crl-loading/off-thread.ts";
import { decodeCertificate } from "../../src/pki/certificate/certificate.ts";
import { scenario, startBenchServer, type HarnessOptions, type Result } from "./harness.ts";

export interface CrlBench {
  readonly harness: HarnessOptions;
  readonly intermediate: Authority;
  /** Framed Validate requests: one warm chain, and distinct leaves. */
  readonly warm: string;
  readonly cold: string;
  /** The config text every bench server shares (listeners, trust store, CN list, log level). */
  readonly baseToml: string;
  readonly report: (result: Result) => void;
}

export interface CrlFigures {
  readonly lines: readonly string[];
  readonly coldWith: Result | undefined;
  readonly warmWith: Result | undefined;
  readonly reload: Result | undefined;
}

const SIZES = [10_000, 100_000, 1_000_000];
const VALIDATE = "/certgate.v1.CertificateValidator/Validate";
const RELOAD_EVERY_MS = 2000;
const RELOAD_FOR_MS = 20_000;

/** A CRL of `count` random serials from `openssl ca -gencrl` (PEM, as it writes one), signed with the intermediate's key. */
async function opensslCrl(dir: string, intermediate: Authority, count: number): Promise<string> {
  const key = join(dir, "intermediate.key");
  writeFileSync(key, await intermediate.issued.privateKeyPem());
  writeFileSync(join(dir, "intermediate.pem"), intermediate.pem);
  const lines: string[] = [];
  for (let i = 0; i < count; i++)
    lines.push(
      `R\t301231235959Z\t260101000000Z,keyCompromise\t${(0x10_0000_0000 + i * 7919).toString(16).toUpperCase().padStart(32, "7")}\tunknown\t/CN=r${i}\n`,
    );
  writeFileSync(join(dir, `index-${count}.txt`), lines.join(""));
  writeFileSync(join(dir, "crlnumber"), "01\n");
  const config = join(dir, `ca-${count}.cnf`);
  writeFileSync(
    config,
    `[ca]\ndefault_ca = bench\n[bench]\ndatabase = ${join(dir, `index-${count}.txt`)}\ncrlnumber = ${join(dir, "crlnumber")}\n` +
      `certificate = ${join(dir, "intermediate.pem")}\nprivate_key = ${key}\ndefault_md = sha256\ndefault_crl_days = 30\n`,
  );
  const out = join(dir, `crl-${count}.pem`);
  execFileSync("openssl", ["ca", "-gencrl", "-config", config, "-out", out], { stdio: "ignore" });
  return out;
}

/** Best of three wall times of `run`, in ms. */
async function bestOf(run: () => unknown): Promise<number> {
  let best = Infinity;
  for (let i = 0; i < 3; i++) {
    const started = performance.now();
    await run();
    best = Math.min(best, performance.now() - started);
  }
  return best;
}

/** RSS of a certgate server once started with `configPath` and settled. */
async function serverRss(configPath: string, dir: string): Promise<number> {
  const server = startBenchServer(["certgate", configPath], dir);
  await server.address;
  await new Promise((resolve) => setTimeout(resolve, 3000));
  const usage = await server.usage();
  server.child.kill("SIGKILL");
  return usage.rss / 2 ** 20;
}

export async function crlBenchmarks(bench: CrlBench, wanted: (name: string) => boolean, validateCold: Result | undefined): Promise<CrlFigures> {
  const dir = join(bench.harness.dir, "crl-bench");
  mkdirSync(join(dir, "crls"), { recursive: true });
  const files = new Map<number, string>();
  for (const size of SIZES) files.set(size, await opensslCrl(dir, bench.intermediate, size));
  const issuer = decodeCertificate(bench.intermediate.der);
  if (!issuer.ok) throw new Error("the bench intermediate does not decode");
  const signers = signerKeys([issuer.certificate]);
  const config = (name: string, crlDir: boolean) => {
    const path = join(bench.harness.dir, `${name}.toml`);
    const revocation = crlDir ? `[revocation]\nmode = "soft_fail"\ncrl_dirs = ["crl-bench/crls"]\n` : "";
    writeFileSync(path, bench.baseToml.replace("[truststore]\n", '[truststore]\nintermediate_files = ["crl-bench/intermediate.pem"]\n') + revocation);
    return path;
  };
  const lines: string[] = [];
  const baseRss = wanted("crl-load") ? await serverRss(config("crl-none", false), bench.harness.dir) : Number.NaN;
  for (const size of SIZES) {
    if (!wanted("crl-load")) break;
    const file = files.get(size)!;
    const certgate = await bestOf(async () => {
      const decoded = await decodeCrlFileOffThread(new Uint8Array(readFileSync(file)), signers);
      if (!decoded.ok || decoded.crls[0]?.revoked.count !== size) throw new Error(`bench CRL ${file} did not load`);
    });
    const openssl = await bestOf(() => spawnSync("openssl", ["crl", "-in", file, "-noout"]));
    copyFileSync(file, join(dir, "crls", "intermediate.crl"));
    const rss = (await serverRss(config(`crl-${size}`, true), bench.harness.dir)) - baseRss;
    const name = `crl-load-${size >= 1_000_000 ? `${size / 1_000_000}m` : `${size / 1000}k`}`;
    const times = `load ${certgate.toFixed(0).padStart(5)} ms   openssl crl -noout ${openssl.toFixed(0).padStart(5)} ms`;
    lines.push(`${name.padEnd(22)} ${times}   ratio ${(certgate / openssl).toFixed(2)}   server RSS +${rss.toFixed(0)} MB`);
    console.log(lines.at(-1));
  }
  copyFileSync(files.get(1_000_000)!, join(dir, "crls", "intermediate.crl"));
  const withCrl = config("crl-1m", true);
  let coldWith: Result | undefined;
  let warmWith: Result | undefined;
  let reload: Result | undefined;
  if (wanted("validate-cold-crl") && validateCold !== undefined) {
    coldWith = await scenario(bench.harness, "validate-cold-crl-1m", ["certgate", withCrl], { path: VALIDATE, payloads: bench.cold });
    bench.report(coldWith);
  }
  if (wanted("crl-reload")) {
    warmWith = await scenario(bench.harness, "validate-warm-crl-1m", ["certgate", withCrl], {
      path: VALIDATE,
      payloads: bench.warm,
      durationMs: RELOAD_FOR_MS,
    });
    bench.report(warmWith);
    const source = files.get(1_000_000)!;
    reload = await scenario(bench.harness, "crl-reload-under-load", ["certgate", withCrl], {
      path: VALIDATE,
      payloads: bench.warm,
      durationMs: RELOAD_FOR_MS,
      // The way a CRL publisher replaces it: written beside, renamed over (a new inode every time).
      during: async () => {
        for (let at = 0; at + RELOAD_EVERY_MS <= RELOAD_FOR_MS; at += RELOAD_EVERY_MS) {
          copyFileSync(source, join(dir, "crls", ".next.crl"));
          renameSync(join(dir, "crls", ".next.crl"), join(dir, "crls", "intermediate.crl"));
          await new Promise((resolve) => setTimeout(resolve, RELOAD_EVERY_MS));
        }
      },
    });
    bench.report(reload);
  }
  return { lines, coldWith, warmWith, reload };
}
