// `certgate serve [--config FILE]`: load and check the config, start the gRPC and
// metrics listeners, reload on SIGHUP or file change, drain on SIGTERM/SIGINT.
import * as grpc from "@grpc/grpc-js";
import { pino, type Logger } from "pino";
import { ListenerError } from "../listener-error.ts";
import { ConfigError, type Config } from "../config/config.ts";
import { watchFiles, type FileWatch } from "../config/file-watch.ts";
import type { ServerTlsMaterial } from "../config/trust-material.ts";
import { readConfig, readMaterial } from "./config-material.ts";
import { createRevocationFetcher } from "../fetch/revocation-fetcher.ts";
import { validatorSettings } from "../config/validator-settings.ts";
import type { DecisionEvent } from "../grpc/certgate-service.ts";
import { startServer, type RunningServer } from "../grpc/server.ts";
import { CrlFiles } from "../crl-loading/file-sources.ts";
import { ClientExpiryWatch } from "../metrics/client-expiry.ts";
import { NonconformanceWatch } from "../metrics/nonconformance.ts";
import { RevocationUnavailableWatch } from "../metrics/revocation-unavailable.ts";
import { createMetrics, startMetricsServer, type Metrics, type MetricsServer } from "../metrics/metrics.ts";
import { compileExemptContexts } from "../policy/exempt-context.ts";
import { releaseStartupMemory } from "./startup-memory.ts";
import { createValidator, type Validator } from "../validator/validator.ts";

const RELOAD_DEBOUNCE_MS = 250;

/** Everything a reload replaces, swapped as one object so a call sees one generation. */
interface State {
  readonly config: Config;
  readonly validator: Validator;
  readonly generation: number;
  /** What loading the trust material noted (skipped PEM blocks, pinned client certificates, nonconforming anchors), logged once the state is taken. */
  readonly notes: readonly string[];
  /** [server.tls] as read and checked for this state: a reload hands it to new handshakes. */
  readonly tls: ServerTlsMaterial | undefined;
}

/** What a build reads with: the service's logger, metrics and the CRL files it keeps decoded across reloads. */
interface Builder {
  readonly configPath: string | undefined;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly crlFiles: CrlFiles;
}

/** Reads and checks everything; throws ConfigError and leaves nothing half-built. */
async function buildState(builder: Builder, generation: number): Promise<State> {
  const { logger, metrics } = builder;
  const config = await readConfig(builder.configPath, (dir) => logger.info({ dir }, "generated the dev PKI (development only)"));
  const { trust, trustDomains, store, crlProblems, tls, notes } = await readMaterial(config, { crlFiles: builder.crlFiles, initial: generation === 1 });
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
  return { config, validator, generation, notes, tls };
}

function logNotes(logger: Logger, state: State): void {
  const where = { config: state.config.source, generation: state.generation };
  const { ignored, warnings } = state.config;
  // One line, so an operator sees at once what of a WSO2 deployment.toml certgate did not take.
  if (ignored.length > 0) logger.info({ ...where, ignored }, `${ignored.length} tables and keys are not certgate's and were ignored: ${ignored.join(", ")}`);
  for (const warning of warnings) logger.warn(where, warning);
  for (const note of state.notes) logger.warn(where, note);
}

/** WSO2's log_client_cert_info: the certificate of a request authenticated outside the CN check, and the user it asserted. */
function logClientCertInfo(logger: Logger, config: Config, event: DecisionEvent): void {
  const { identity, exempt } = event.decision;
  if (!config.accessControl.logClientCertInfo || identity === undefined || (!exempt && config.intermediateCertValidation.enable)) return;
  logger.info(
    { thumbprint: identity.fingerprint, issuer: identity.issuer, user: event.userHeader, allowed: event.decision.allowed },
    `mTLS certificate thumbprint ${identity.fingerprint}, issuer ${identity.issuer}, for the request made by user ${event.userHeader ?? "(none)"}`,
  );
}

function logDecision(logger: Logger, audit: boolean, event: DecisionEvent): void {
  // Checked first so that a disabled level builds no object on the hot path.
  const level = audit ? "info" : "debug";
  if (!logger.isLevelEnabled(level)) return;
  const { decision } = event;
  logger[level](
    {
      audit: true,
      rpc: event.rpc,
      allowed: decision.allowed,
      reason: decision.reason,
      principal: decision.identity?.principal?.qualifiedUsername,
      fingerprint: decision.identity?.fingerprint,
      path: event.context,
      method: event.method,
      durationMs: Math.round(event.durationMs * 1000) / 1000,
      caller: event.caller(),
    },
    "decision",
  );
}

function warnAboutBareExemptContexts(config: Config, logger: Logger): void {
  for (const entry of compileExemptContexts(config.intermediateCertValidation.exemptContexts).bareEntries) {
    logger.warn(
      { entry },
      `exempt context "${entry}" matches that path segment anywhere in the path; prefer the prefix form "/${entry}" ` +
        "(WSO2 tests a substring, certgate matches whole segments)",
    );
  }
}

/** Settings read once at start; a reload that changes them is logged, not applied. */
function restartOnly(config: Config): string {
  return JSON.stringify([
    config.server.listen,
    config.server.tls,
    config.server.allowedCallerSans,
    config.server.maxRequestBytes,
    config.health,
    config.metrics,
  ]);
}

/** The files a reload depends on; crl_dirs are watched whole (see rewatch). */
function watchedFiles(config: Config, configPath: string | undefined): string[] {
  return [
    ...(configPath === undefined ? [] : [configPath]),
    ...config.truststore.caFiles,
    ...config.truststore.intermediateFiles,
    ...(config.truststore.keyStore === undefined ? [] : [config.truststore.keyStore.file]),
    // Renewed serving certificates and caller CAs are applied without a restart.
    ...(config.server.tls === undefined ? [] : [config.server.tls.certFile, config.server.tls.keyFile, ...config.server.tls.clientCaFiles]),
    ...config.trustDomains.flatMap((domain) => [...domain.caFiles, ...(domain.bundleFile === undefined ? [] : [domain.bundleFile])]),
    ...config.revocation.crlFiles,
  ];
}

export interface Service {
  readonly server: RunningServer;
  readonly metricsServer: MetricsServer | undefined;
  config(): Config;
  /** Re-reads everything; true when the new state is in use. */
  reload(trigger: string): Promise<boolean>;
  /** Health NOT_SERVING, stop accepting, drain in-flight calls, close the listeners. */
  stop(): Promise<void>;
}

/** Starts certgate; returns once listening. Throws ConfigError for a bad config. */
export async function startService(configPath: string | undefined, logger: Logger): Promise<Service> {
  const metrics = createMetrics(() => new Date());
  const clientExpiry = new ClientExpiryWatch(metrics, logger);
  const nonconformance = new NonconformanceWatch(metrics, logger);
  const unavailable = new RevocationUnavailableWatch(metrics, logger);
  const builder: Builder = { configPath, logger, metrics, crlFiles: new CrlFiles() };
  let state = await buildState(builder, 1);
  logNotes(logger, state);
  warnAboutBareExemptContexts(state.config, logger);
  const initial = state.config;
  const server = await startServer(
    {
      listen: initial.server.listen,
      maxRequestBytes: initial.server.maxRequestBytes,
      maxConcurrentStreams: initial.server.maxConcurrentStreams,
      extAuthz: () => state.config.extAuthz,
      tls: state.tls,
      allowedCallerSans: initial.server.allowedCallerSans,
      socketMode: initial.server.socketMode,
      healthListen: initial.health.listen,
    },
    {
      validator: () => state.validator,
      now: () => new Date(),
      fetchRevocation: createRevocationFetcher({
        timeoutMs: initial.revocation.timeoutMs,
        maxBytes: initial.revocation.maxFetchBytes,
        failureBackoffMs: initial.revocation.failureBackoffSeconds * 1000,
      }),
      onDecision: (event) => {
        metrics.decision(event.rpc, event.decision.reason, event.decision.allowed, event.durationMs / 1000);
        clientExpiry.observe(event.decision, () => new Date(), state.config.log.expiryWarningDays);
        nonconformance.observe(event.decision);
        unavailable.observe(event.decision, Date.now(), state.config.revocation.failureBackoffSeconds * 1000);
        logDecision(logger, state.config.log.audit, event);
        logClientCertInfo(logger, state.config, event);
      },
      onError: (error, rpc) => logger.error({ err: error, rpc }, "request failed"),
    },
  );
  let metricsServer: MetricsServer | undefined;
  try {
    metricsServer = initial.metrics.listen === "" ? undefined : await startMetricsServer(initial.metrics.listen, metrics.registry);
  } catch (error) {
    // Whole or not at all: what was opened closes, and the caller exits naming the listener.
    await server.shutdown(0);
    throw error;
  }
  server.setServing();

  let watcher: FileWatch | undefined;
  const rewatch = () => {
    watcher?.close();
    watcher = watchFiles(watchedFiles(state.config, configPath), RELOAD_DEBOUNCE_MS, () => void reload("file change"), state.config.revocation.crlDirs);
  };
  let reloading = Promise.resolve(true);
  let queued: Promise<boolean> | undefined;
  const reload = (trigger: string): Promise<boolean> => {
    // One reload at a time, in order, and at most one waiting: a burst of signals or file
    // changes during a long reload (a 1M-entry CRL) ends in one more reload on the newest files.
    if (queued !== undefined) return queued;
    queued = reloading.then(async () => {
      queued = undefined;
      try {
        const next = await buildState(builder, state.generation + 1);
        if (restartOnly(next.config) !== restartOnly(state.config)) {
          logger.warn({ trigger }, "listener, TLS, caller or metrics settings changed: they take effect on restart; the rest is applied now");
        }
        state = next;
        if (state.tls !== undefined) server.updateTls(state.tls);
        logNotes(logger, state);
        logger.level = state.config.log.level;
        metrics.reload(true, state.generation);
        rewatch();
        logger.info({ trigger, generation: state.generation, config: state.config.source }, "configuration reloaded");
        return true;
      } catch (error) {
        metrics.reload(false, state.generation);
        const problems = error instanceof ConfigError ? error.problems : [String(error)];
        logger.error({ trigger, problems, generation: state.generation }, "reload refused; the previous configuration stays in use");
        return false;
      }
    });
    reloading = queued;
    return queued;
  };
  rewatch();

  const plaintext = server.address.startsWith("unix:") ? `-unix ${server.address.slice(5)}` : server.address;
  const how = initial.server.tls === undefined ? `grpcurl -plaintext ${plaintext} list` : `grpcurl -cacert CA -cert CERT -key KEY ${plaintext} list`;
  logger.info(
    { address: server.address, metrics: metricsServer?.address, health: server.healthAddress, config: initial.source },
    `certgate listening on ${server.address}; try: ${how}`,
  );
  // The start-up line above is printed whatever the level; the configured level applies from here on.
  logger.level = initial.log.level;
  setImmediate(releaseStartupMemory);
  return {
    server,
    metricsServer,
    config: () => state.config,
    reload,
    async stop() {
      watcher?.close();
      server.setNotServing();
      await server.shutdown(state.config.server.drainSeconds * 1000);
      await metricsServer?.close();
    },
  };
}

/** What a person reads when serve cannot start: plain lines on stderr (the JSON log line stays for pipelines). */
export function startFailure(error: unknown): { readonly lines: string; readonly code: number } | undefined {
  if (error instanceof ConfigError) return { lines: `certgate: ${error.message}\n`, code: 2 };
  if (error instanceof ListenerError) return { lines: `certgate: ${error.message}\n`, code: 1 };
  return undefined;
}

export async function serveCommand(configPath: string | undefined): Promise<number> {
  const logger = pino({ base: { service: "certgate" }, level: "info" });
  // grpc-js writes its own lines to stderr ("E No address added ..."); certgate says it once, in its log.
  grpc.setLogger({ error: (...parts: unknown[]) => logger.debug({ grpc: parts.map(String).join(" ") }, "grpc-js") });
  let service: Service;
  try {
    service = await startService(configPath, logger);
  } catch (error) {
    const failure = startFailure(error);
    if (failure === undefined) {
      logger.fatal({ err: error }, "certgate failed to start");
      return 1;
    }
    const fields = error instanceof ConfigError ? { problems: error.problems } : { listener: (error as ListenerError).key };
    logger.fatal(fields, (error as Error).message);
    process.stderr.write(failure.lines);
    return failure.code;
  }
  process.on("SIGHUP", () => void service.reload("SIGHUP"));
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      logger.info({ signal, drainSeconds: service.config().server.drainSeconds }, "shutting down: health NOT_SERVING, draining in-flight calls");
      void service.stop().then(resolve);
    };
    process.once("SIGTERM", () => stop("SIGTERM"));
    process.once("SIGINT", () => stop("SIGINT"));
  });
  logger.info("stopped");
  return 0;
}
