// `certgate verify`: the offline counterpart of the Validate RPC, like `openssl
// verify`: the same validator, the same decision, printed as one JSON object.
import { parseArgs } from "node:util";
import { ConfigError, type Config } from "../config/config.ts";
import { DEFAULTS } from "../defaults.ts";
import { loadConfigFile } from "../config/load.ts";
import { readInputFile } from "../config/input-file.ts";
import { loadRevocationStore, loadTrustDomains, loadTrustStore, trustProblems } from "../config/trust-material.ts";
import { validatorSettings } from "../config/validator-settings.ts";
import { validateResponseJson } from "../grpc/response-json.ts";
import { decodeCertificate, type Certificate } from "../pki/certificate/certificate.ts";
import type { Purpose } from "../pki/path/validate.ts";
import { readPemFile, type FileContents } from "../pki/pem.ts";
import { createTrustStore, sortTrusted, type SortedTrust } from "../pki/path/trust-store.ts";
import { createValidator, type Decision, type ValidatorSettings } from "../validator/validator.ts";
import { createRevocationFetcher, type FetchLimits } from "../fetch/revocation-fetcher.ts";
import { validateWithFetch } from "../fetch/validate-with-fetch.ts";
import { decodeCrl } from "../pki/revocation/crl.ts";
import { REVOCATION_MODES, type RevocationMode } from "../pki/revocation/check.ts";
import { RevocationStore } from "../pki/revocation/store.ts";
import { PROFILES, profileNamed, type Profile } from "../pki/path/profile.ts";
import { readConfig } from "./config-material.ts";
import { explanationText } from "./explain-text.ts";
import { VERIFY_USAGE } from "./usage.ts";

export class UsageError extends Error {
  override name = "UsageError";
}

/** A file named on the command line that cannot be read: said in the configuration's words, without the usage text. */
export class FileError extends Error {
  override name = "FileError";
}

function readFileBytes(path: string, what: string): Uint8Array {
  const file = readInputFile(path);
  if (!file.ok) throw new FileError(`${what} ${path}: ${file.problem}`);
  return file.bytes;
}

/** What the command's files held beyond certificates: CRLs (read as `openssl verify -CAfile` does) and notes for stderr. */
interface Extras {
  readonly crls: Uint8Array[];
  readonly notes: string[];
}

function fileContents(path: string, what: string, extras: Extras): FileContents {
  const contents = readPemFile(readFileBytes(path, what), "certificate");
  if (!contents.ok) throw new UsageError(`${what} ${path}: ${contents.message}`);
  extras.notes.push(...contents.skipped.map((note) => `${what} ${path}: ${note}`));
  extras.crls.push(...contents.crls);
  return contents;
}

function certificatesIn(paths: readonly string[], what: string, extras: Extras): Certificate[] {
  return paths.flatMap((path) =>
    fileContents(path, what, extras).certificates.map((der, i) => {
      const decoded = decodeCertificate(der, i);
      if (!decoded.ok) throw new UsageError(`${what} ${path}: ${decoded.message}`);
      return decoded.certificate;
    }),
  );
}

const PURPOSES: readonly Purpose[] = ["client", "server", "any"];

function parsePurpose(value: string | undefined): Purpose {
  if (value === undefined) return "client";
  if (!PURPOSES.includes(value as Purpose)) throw new UsageError(`--purpose must be one of ${PURPOSES.join(", ")}`);
  return value as Purpose;
}

function parseProfile(value: string | undefined, fallback: Profile): Profile {
  if (value === undefined) return fallback;
  const profile = profileNamed(value);
  if (profile === undefined) throw new UsageError(`--profile must be one of ${PROFILES.join(", ")} ("compatible" is an alias of rfc5280)`);
  return profile;
}

function parseAt(value: string | undefined): Date {
  if (value === undefined) return new Date();
  const at = new Date(value);
  if (Number.isNaN(at.getTime()) || !/^\d{4}-\d{2}-\d{2}/.test(value)) throw new UsageError(`--at: not an ISO-8601 time: ${value}`);
  return at;
}

function parseMaxChainLength(value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 32) throw new UsageError("--max-chain-length must be an integer from 1 to 32");
  return n;
}

function addCrls(store: RevocationStore, ders: readonly Uint8Array[], where: string): void {
  for (const der of ders) {
    const decoded = decodeCrl(der);
    if (!decoded.ok) throw new UsageError(`${where}: ${decoded.why}`);
    store.addCrl(decoded.crl);
  }
}

async function revocationFor(
  values: Record<string, string | string[] | boolean | undefined>,
  config: Config | undefined,
  extras: Extras,
  signers: readonly Certificate[],
): Promise<NonNullable<ValidatorSettings["revocation"]>> {
  const crls = (values.crl as string[] | undefined) ?? [];
  const mode = (values.revocation as string | undefined) ?? config?.revocation.mode ?? (crls.length > 0 ? "soft_fail" : "off");
  if (!REVOCATION_MODES.includes(mode as RevocationMode)) throw new UsageError(`--revocation must be one of ${REVOCATION_MODES.join(", ")}`);
  const store = config === undefined ? new RevocationStore() : (await loadRevocationStore(config, { notes: extras.notes, signers })).store;
  for (const file of crls) {
    const contents = readPemFile(readFileBytes(file, "--crl"), "crl");
    if (!contents.ok) throw new UsageError(`--crl ${file}: ${contents.message}`);
    if (contents.crls.length === 0) throw new UsageError(`--crl ${file}: no X509 CRL block found`);
    addCrls(store, contents.crls, `--crl ${file}`);
  }
  addCrls(store, extras.crls, "--ca/--untrusted");
  return { mode: mode as RevocationMode, store, ocsp: config?.revocation.ocsp ?? false, fetch: config?.revocation.fetch ?? false };
}

/**
 * --ca certificates sorted as serve sorts truststore.ca_files: a non-CA that is not
 * self-signed is refused, not ignored. A nonconforming anchor is only noted, even
 * under strict: the decision then refuses it with every other rule the path breaks.
 */
function trustedFrom(certificates: readonly Certificate[], notes: string[]): SortedTrust {
  const sorted = sortTrusted(certificates, { allowPinned: true });
  const problems = trustProblems(sorted, "rfc5280", "--ca", notes);
  if (problems.length > 0) throw new UsageError(problems.join("\n"));
  return sorted;
}

/**
 * --config, or without --config and --ca the built-in default `serve` runs, generating
 * its dev PKI when absent as serve does (a user may ask verify before ever starting serve).
 */
async function configFor(path: string | undefined, hasAnchors: boolean, notes: string[]): Promise<Config | undefined> {
  if (path !== undefined) return loadConfigFile(path);
  if (hasAnchors) return undefined;
  return readConfig(undefined, (dir) => notes.push(`generated the dev PKI in ${dir} (development only), for the built-in default`));
}

/** Fetching as [revocation] configures it, or as its defaults do. */
function fetchLimits(config: Config | undefined): FetchLimits {
  const revocation = config?.revocation ?? DEFAULTS.revocation;
  return { timeoutMs: revocation.timeoutMs, maxBytes: revocation.maxFetchBytes, failureBackoffMs: revocation.failureBackoffSeconds * 1000 };
}

async function settingsFor(
  values: Record<string, string | string[] | boolean | undefined>,
  extras: Extras,
): Promise<{ settings: ValidatorSettings; fetch: FetchLimits }> {
  const cas = (values.ca as string[] | undefined) ?? [];
  const untrusted = (values.untrusted as string[] | undefined) ?? [];
  const purpose = parsePurpose(values.purpose as string | undefined);
  const config = await configFor(values.config as string | undefined, cas.length > 0, extras.notes);
  const profile = parseProfile(values.profile as string | undefined, config?.truststore.profile ?? DEFAULTS.truststore.profile);
  const trusted = trustedFrom(certificatesIn(cas, "--ca", extras), extras.notes);
  const pool = certificatesIn(untrusted, "--untrusted", extras);
  if (config === undefined) {
    const settings: ValidatorSettings = {
      trust: createTrustStore(trusted.anchors, pool, trusted.pinned),
      maxChainLength: parseMaxChainLength(values["max-chain-length"] as string | undefined, DEFAULTS.server.maxChainLength),
      allowSha1: values["allow-sha1"] === true,
      profile,
      purpose,
      intermediateCertValidation: { enable: false, certCns: [], exemptContexts: [] },
      principal: { emailUsername: DEFAULTS.tenant.emailUsername },
      revocation: await revocationFor(values, undefined, extras, [...trusted.anchors, ...pool]),
    };
    return { settings, fetch: fetchLimits(undefined) };
  }
  const configured = loadTrustStore(config, extras.notes);
  const intermediates = [...configured.intermediates, ...pool];
  const trust = createTrustStore([...configured.anchors, ...trusted.anchors], intermediates, [...configured.pinned, ...trusted.pinned]);
  const fromConfig = validatorSettings(config, { trust, trustDomains: loadTrustDomains(config, intermediates, extras.notes), purpose });
  const settings: ValidatorSettings = {
    ...fromConfig,
    allowSha1: config.truststore.allowSha1 || values["allow-sha1"] === true,
    profile,
    revocation: await revocationFor(values, config, extras, [...trust.anchors, ...trust.intermediates]),
    maxChainLength: parseMaxChainLength(values["max-chain-length"] as string | undefined, config.server.maxChainLength),
  };
  return { settings, fetch: fetchLimits(config) };
}

/** Runs the command; returns the exit code. `print` receives stdout text. */
/** Why an allowed client names no user: the answer alone ("no user named") leaves a person guessing. */
function noPrincipalNote(decision: Decision, settings: ValidatorSettings): string | undefined {
  if (!decision.allowed || decision.identity === undefined || decision.identity.principal !== undefined) return undefined;
  if (!settings.intermediateCertValidation.enable)
    return (
      "allowed with no principal mapped: the intermediate-CN check is off (as it is with --ca and no --config), so the leaf's CN " +
      "names no user; give --config with [intermediate_cert_validation] cert_cns to take the CN"
    );
  return "allowed with no principal mapped: the path is an exempt context, where only an asserted user (--user) a mapping allows names one";
}

export async function verifyCommand(args: readonly string[], print: (text: string) => void, printError: (text: string) => void): Promise<number> {
  try {
    const { values, positionals } = parseArgs({
      args: [...args],
      allowPositionals: true,
      options: {
        ca: { type: "string", multiple: true },
        untrusted: { type: "string", multiple: true },
        at: { type: "string" },
        context: { type: "string" },
        method: { type: "string" },
        user: { type: "string" },
        config: { type: "string" },
        purpose: { type: "string" },
        "max-chain-length": { type: "string" },
        crl: { type: "string", multiple: true },
        revocation: { type: "string" },
        "allow-sha1": { type: "boolean" },
        profile: { type: "string" },
        explain: { type: "boolean" },
      },
    });
    if (positionals.length !== 1) throw new UsageError("give exactly one LEAF_FILE");
    // Options first: a wrong one is a usage error before any file is read.
    const at = parseAt(values.at);
    const extras: Extras = { crls: [], notes: [] };
    const { settings, fetch } = await settingsFor(values, extras);
    const validator = createValidator(settings);
    const leafFile = readFileBytes(positionals[0]!, "LEAF_FILE");
    // A client.pem holding the leaf, its chain and its key is how users keep it: the key is skipped, never read.
    const contents = readPemFile(leafFile, "certificate");
    if (contents.ok) extras.notes.push(...contents.skipped.map((note) => `LEAF_FILE ${positionals[0]}: ${note}`));
    const chain = contents.ok && contents.certificates.length > 0 ? { der: contents.certificates } : { pem: Buffer.from(leafFile).toString("latin1") };
    for (const note of extras.notes) printError(`certgate verify: note: ${note}\n`);
    const fetcher = createRevocationFetcher(fetch);
    const explain = values.explain === true;
    const decision = await validateWithFetch(
      validator,
      { chain, context: values.context ?? "/", method: values.method ?? "GET", userHeader: values.user },
      () => at,
      fetcher,
      { explain },
    );
    print(explain ? explanationText(decision) : `${JSON.stringify(validateResponseJson(decision), null, 2)}\n`);
    const unnamed = noPrincipalNote(decision, settings);
    if (unnamed !== undefined) printError(`certgate verify: note: ${unnamed}\n`);
    return decision.allowed ? 0 : 1;
  } catch (error) {
    if (error instanceof FileError || error instanceof ConfigError) {
      printError(`certgate verify: ${(error as Error).message}\n`);
      return 2;
    }
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
      printError(`certgate verify: ${(error as Error).message}\n${VERIFY_USAGE}\n`);
      return 2;
    }
    throw error;
  }
}
