// `certgate check [--config FILE]`: reads a configuration exactly as serve would (the
// file, the trust material, the CRLs) without listening, and says what it found: the
// trust anchors, what of the file is not certgate's and was ignored, warnings and
// notes; or every problem, one per line. For CI pipelines and for an operator
// pointing certgate at an existing WSO2 deployment.toml.
import { parseArgs } from "node:util";
import { ConfigError, type Config } from "../config/config.ts";
import { defaultConfig } from "../config/default.ts";
import { loadConfigFile } from "../config/load.ts";
import { loadRevocationStore, loadServerTls, loadTrustDomains, loadTrustStore } from "../config/trust-material.ts";
import { DEV_PKI_DIR, devPkiPresent } from "../devpki/layout.ts";
import { CHECK_USAGE } from "./usage.ts";

type Write = (text: string) => void;

async function configOf(path: string | undefined): Promise<Config> {
  if (path !== undefined) return loadConfigFile(path);
  if (!devPkiPresent(DEV_PKI_DIR)) {
    const { ensureDevPki } = await import("../devpki/dev-pki.ts");
    await ensureDevPki(DEV_PKI_DIR, new Date());
  }
  return defaultConfig(DEV_PKI_DIR);
}

/** What a valid configuration amounts to, for people: one fact per line. */
async function report(config: Config): Promise<string[]> {
  const notes: string[] = [];
  const trust = loadTrustStore(config, notes);
  const domains = loadTrustDomains(config, trust.intermediates, notes);
  loadServerTls(config);
  const { store } = await loadRevocationStore(config, { signers: [...trust.anchors, ...trust.intermediates], notes });
  const lines = [
    `${config.source}: valid`,
    `  trust anchors: ${trust.anchors.length} (${trust.anchors.map((anchor) => anchor.subject.text).join("; ")})`,
    ...(trust.pinned.length > 0 ? [`  pinned client certificates: ${trust.pinned.length}`] : []),
    `  intermediates: ${trust.intermediates.length}; trust domains: ${domains.size}; CRLs: ${store.crlHoldings().length}`,
    `  listens on ${config.server.listen}${config.metrics.listen === "" ? "" : `, metrics on ${config.metrics.listen}`}`,
  ];
  if (config.ignored.length > 0) lines.push(`  ignored (not certgate's): ${config.ignored.join(", ")}`);
  for (const warning of config.warnings) lines.push(`  warning: ${warning}`);
  for (const note of notes) lines.push(`  note: ${note}`);
  return lines;
}

export async function checkCommand(args: readonly string[], stdout: Write, stderr: Write): Promise<number> {
  let path: string | undefined;
  try {
    path = parseArgs({ args: [...args], options: { config: { type: "string" } } }).values.config;
  } catch (error) {
    stderr(`certgate check: ${(error as Error).message}\n${CHECK_USAGE}\n`);
    return 2;
  }
  try {
    stdout(`${(await report(await configOf(path))).join("\n")}\n`);
    return 0;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    stderr(`certgate: ${error.message}\n`);
    return 2;
  }
}
