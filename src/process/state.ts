// What a configuration amounts to while serving: the Config, the validator built from
// it and its trust material, and what the listeners need from it. Built whole or not
// at all; a reload builds the next one beside the one in use.
import type { Logger } from "pino";
import type { Config } from "../config/config.ts";
import type { ListenOverrides } from "../config/overrides.ts";
import type { ServerTlsMaterial } from "../config/trust-material.ts";
import { validatorSettings } from "../config/validator-settings.ts";
import { readConfig, readMaterial } from "../cli/config-material.ts";
import type { CrlFiles } from "../crl-loading/file-sources.ts";
import type { Metrics } from "../metrics/metrics.ts";
import { compileExemptContexts } from "../policy/exempt-context.ts";
import { createValidator, type Validator } from "../validator/validator.ts";

/** Everything a reload replaces, swapped as one object so a call sees one generation. */
export interface State {
  readonly config: Config;
  readonly validator: Validator;
  readonly generation: number;
  /** What loading the trust material noted (skipped PEM blocks, pinned client certificates, nonconforming anchors), logged once the state is taken. */
  readonly notes: readonly string[];
  /** [server.tls] as read and checked for this state: a reload hands it to new handshakes. */
  readonly tls: ServerTlsMaterial | undefined;
  /** [forward_auth.tls], likewise. */
  readonly forwardAuthTls: ServerTlsMaterial | undefined;
}

/** What a build reads with: the service's logger, metrics and the CRL files it keeps decoded across reloads. */
export interface Builder {
  readonly configPath: string | undefined;
  /** serve's --listen and --metrics-listen. */
  readonly overrides: ListenOverrides;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly crlFiles: CrlFiles;
}

/** Reads and checks everything; throws ConfigError and leaves nothing half-built. */
export async function buildState(builder: Builder, generation: number): Promise<State> {
  const { logger, metrics } = builder;
  const config = await readConfig(builder.configPath, (dir) => logger.info({ dir }, "generated the dev PKI (development only)"), builder.overrides);
  const material = await readMaterial(config, { crlFiles: builder.crlFiles, initial: generation === 1 });
  const { trust, trustDomains, store, crlProblems, tls, forwardAuthTls, notes } = material;
  for (const problem of crlProblems) {
    metrics.revocationUnavailable("crl", problem.why === "unparseable" ? "unparseable" : "unreachable");
    const kept = problem.kept ? "its previous CRLs stay in use" : "it holds no CRL";
    logger.error(
      { where: problem.where, path: problem.path, why: problem.why, generation },
      `CRL file ${problem.path} did not load (${problem.detail}): ${kept}`,
    );
  }
  const validator = createValidator({
    ...validatorSettings(config, { trust, trustDomains, store }),
    onCacheLookup: (cache, hit) => metrics.cacheLookup(cache, hit),
  });
  // Trust-domain anchors expire like any other: the anchor expiry gauge covers them too.
  metrics.trustMaterial({ anchors: [...trust.anchors, ...[...trustDomains.values()].flatMap((domain) => domain.anchors)], intermediates: trust.intermediates });
  metrics.revocationStore(store);
  return { config, validator, generation, notes, tls, forwardAuthTls };
}

export function logNotes(logger: Logger, state: State): void {
  const where = { config: state.config.source, generation: state.generation };
  const { ignored, warnings } = state.config;
  // One line, so an operator sees at once what of a WSO2 deployment.toml certgate did not take.
  if (ignored.length > 0) logger.info({ ...where, ignored }, `${ignored.length} tables and keys are not certgate's and were ignored: ${ignored.join(", ")}`);
  for (const warning of warnings) logger.warn(where, warning);
  for (const note of state.notes) logger.warn(where, note);
}

export function warnAboutBareExemptContexts(config: Config, logger: Logger): void {
  for (const entry of compileExemptContexts(config.intermediateCertValidation.exemptContexts).bareEntries) {
    logger.warn(
      { entry },
      `exempt context "${entry}" matches that path segment anywhere in the path; prefer the prefix form "/${entry}" ` +
        "(WSO2 tests a substring, certgate matches whole segments)",
    );
  }
}

/** Settings read once at start; a reload that changes them is logged, not applied. */
export function restartOnly(config: Config): string {
  const { forwardAuth } = config;
  return JSON.stringify([
    config.server.listen,
    config.server.tls,
    config.server.allowedCallerSans,
    config.server.maxRequestBytes,
    config.health,
    config.metrics,
    forwardAuth.listen,
    forwardAuth.tls,
    forwardAuth.socketMode,
    [forwardAuth.maxHeaderBytes, forwardAuth.maxHeaders, forwardAuth.headersTimeoutMs, forwardAuth.requestTimeoutMs, forwardAuth.keepAliveTimeoutSeconds],
  ]);
}

const tlsFiles = (tls: Config["server"]["tls"]) => (tls === undefined ? [] : [tls.certFile, tls.keyFile, ...tls.clientCaFiles]);

/** The files a reload depends on; crl_dirs are watched whole (see rewatch). */
export function watchedFiles(config: Config, configPath: string | undefined): string[] {
  return [
    ...(configPath === undefined ? [] : [configPath]),
    ...config.truststore.caFiles,
    ...config.truststore.intermediateFiles,
    ...(config.truststore.keyStore === undefined ? [] : [config.truststore.keyStore.file]),
    // Renewed serving certificates and caller CAs are applied without a restart.
    ...tlsFiles(config.server.tls),
    ...tlsFiles(config.forwardAuth.tls),
    ...config.trustDomains.flatMap((domain) => [...domain.caFiles, ...(domain.bundleFile === undefined ? [] : [domain.bundleFile])]),
    ...config.revocation.crlFiles,
  ];
}
