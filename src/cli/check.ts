// `certgate check [--config FILE]`: reads a configuration exactly as serve would (the
// file, the trust material, the CRLs) without listening, and says what it found: the
// trust anchors, what of the file is not certgate's and was ignored, warnings and
// notes; or every problem, one per line. For CI pipelines and for an operator
// pointing certgate at an existing WSO2 deployment.toml.
import { parseArgs } from "node:util";
import { ConfigError, type Config } from "../config/config.ts";
import { parseConfig } from "../config/load.ts";
import { readConfig, readMaterial } from "./config-material.ts";
import { CHECK_USAGE } from "./usage.ts";

type Write = (text: string) => void;

/** A config written with nothing but what a valid file must hold: the baseline "differs from the default" is measured against. */
const BASELINE = parseConfig(`[truststore]\nca_files = ["/baseline"]\n[intermediate_cert_validation]\ncert_cns = ["baseline"]\n`, "defaults", "/");

const SECTIONS = [
  "server",
  "health",
  "cache",
  "revocation",
  "metrics",
  "truststore",
  "intermediateCertValidation",
  "tenant",
  "extAuthz",
  "forwardAuth",
  "log",
] as const;

const snake = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** Every scalar or list setting of the object, by its TOML key (one name per knob: camelCase here is snake_case there). */
function flatten(value: unknown, key: string, out: Map<string, string>): void {
  if (value === undefined) return;
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    for (const [name, child] of Object.entries(value)) if (name !== "password") flatten(child, `${key}.${snake(name)}`, out);
    return;
  }
  out.set(key, JSON.stringify(value));
}

/** The settings that differ from the defaults, as "key = value" lines (a password never printed). */
export function changedSettings(config: Config): string[] {
  const [mine, defaults] = [new Map<string, string>(), new Map<string, string>()];
  for (const section of SECTIONS) {
    flatten(config[section], snake(section), mine);
    flatten(BASELINE[section], snake(section), defaults);
  }
  return [...mine].filter(([key, value]) => defaults.get(key) !== value).map(([key, value]) => `${key} = ${value}`);
}

function counts(config: Config): string {
  const { rules, grants, thumbprintMappings } = config.accessControl;
  const mappings = thumbprintMappings === undefined ? "off" : `${thumbprintMappings.users.length} user, ${thumbprintMappings.systems.length} system`;
  return (
    `  resource rules: ${rules.length} (default access: ${config.accessControl.defaultAccess}); grants: ${grants.length}; ` +
    `certificate mappings: ${mappings} (header semantics ${config.accessControl.headerSemantics}); principal source: ${config.principal.source}`
  );
}

/** The forward-auth listener, its preset and exactly the headers it reads. */
function forwardAuthLine(config: Config): string {
  const { listen, proxy, certHeader, uriHeader, methodHeader, pathPrefix, trustedProxies } = config.forwardAuth;
  if (listen === "") return "  forward auth: off";
  const uri = uriHeader === "" ? `the request's own path${pathPrefix === "" ? "" : ` less ${pathPrefix}`}` : uriHeader;
  const method = methodHeader === "" ? "the request's own method" : methodHeader;
  const peers = listen.startsWith("unix:") ? "the socket's file mode" : trustedProxies.join(", ");
  return `  forward auth on ${listen} for ${proxy}: certificate from ${certHeader}, URI from ${uri}, method from ${method}; callers: ${peers}`;
}

/** What a valid configuration amounts to, for people: one fact per line. */
async function report(config: Config): Promise<string[]> {
  const { trust, trustDomains: domains, store, notes } = await readMaterial(config, { initial: true });
  const lines = [
    `${config.source}: valid`,
    `  trust anchors: ${trust.anchors.length}${trust.anchors.length === 0 ? "" : ` (${trust.anchors.map((anchor) => anchor.subject.text).join("; ")})`}`,
    ...(trust.pinned.length > 0 ? [`  pinned client certificates: ${trust.pinned.length}`] : []),
    `  intermediates: ${trust.intermediates.length}; trust domains: ${domains.size}; CRLs: ${store.crlHoldings().length}`,
    `  listens on ${config.server.listen}${config.server.workers > 1 ? ` with ${config.server.workers} workers` : ""}` +
      `${config.metrics.listen === "" ? "" : `, metrics on ${config.metrics.listen}`}`,
    forwardAuthLine(config),
    counts(config),
    "  settings that differ from the defaults:",
    ...changedSettings(config).map((line) => `    ${line}`),
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
    stdout(`${(await report(await readConfig(path))).join("\n")}\n`);
    return 0;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    stderr(`certgate: ${error.message}\n`);
    return 2;
  }
}
