// One serving process: load and check the config, open every listener, reload on a
// SIGHUP or a changed file, drain on stop. `certgate serve` runs one of these (or, with
// workers, one per worker under a primary).
import type { Logger } from "pino";
import type { Config } from "../config/config.ts";
import { ConfigError } from "../config/config.ts";
import type { ListenOverrides } from "../config/overrides.ts";
import { watchFiles, type FileWatch } from "../config/file-watch.ts";
import { CrlFiles } from "../crl-loading/file-sources.ts";
import { createRevocationFetcher } from "../fetch/revocation-fetcher.ts";
import type { RunningServer } from "../grpc/server.ts";
import type { RunningHttpListener } from "../http/server.ts";
import { createMetrics, type Metrics, type MetricsServer } from "../metrics/metrics.ts";
import { decisionObserver } from "./decision-log.ts";
import { openListeners, type Listeners } from "./listeners.ts";
import { ReloadQueue } from "./reload-queue.ts";
import { buildState, logNotes, restartOnly, warnAboutBareExemptContexts, watchedFiles, type Builder, type State } from "./state.ts";

const RELOAD_DEBOUNCE_MS = 250;

export interface ServiceOptions {
  /**
   * Under a cluster primary (process/worker.ts): no metrics listener (the primary
   * aggregates the workers'), no file watch and no reload of its own (the primary
   * reloads every worker, prepare then commit), health SERVING only when told.
   */
  readonly worker?: { readonly id: number };
  /** serve's --listen and --metrics-listen, over the configuration's. */
  readonly overrides?: ListenOverrides;
}

export interface Service {
  readonly server: RunningServer;
  readonly forwardAuth: RunningHttpListener | undefined;
  readonly metricsServer: MetricsServer | undefined;
  readonly metrics: Metrics;
  config(): Config;
  /** Re-reads everything; true when the new state is in use. */
  reload(trigger: string): Promise<boolean>;
  /** A worker's first phase: the next configuration built and kept aside; its problems ([] when it loaded). */
  prepare(): Promise<readonly string[]>;
  /** Uses what prepare() built. */
  commit(trigger: string): void;
  /** Drops what prepare() built. */
  abort(): void;
  /** Health SERVING (a worker, once every worker listens). */
  setServing(): void;
  /** Health NOT_SERVING, stop accepting, drain in-flight calls, close the listeners. */
  stop(): Promise<void>;
}

/** The start-up line: where certgate listens and how to try it. */
function startupLine(logger: Logger, config: Config, listeners: Listeners): void {
  const address = listeners.grpc.address;
  const plaintext = address.startsWith("unix:") ? `-unix ${address.slice(5)}` : address;
  const how = config.server.tls === undefined ? `grpcurl -plaintext ${plaintext} list` : `grpcurl -cacert CA -cert CERT -key KEY ${plaintext} list`;
  const forwardAuth = listeners.forwardAuth === undefined ? "" : `; forward auth (${config.forwardAuth.proxy}) on ${listeners.forwardAuth.address}`;
  logger.info(
    {
      address,
      forwardAuth: listeners.forwardAuth?.address,
      metrics: listeners.metrics?.address,
      health: listeners.grpc.healthAddress,
      config: config.source,
    },
    `certgate listening on ${address}${forwardAuth}; try: ${how}`,
  );
}

/** Starts certgate; returns once listening. Throws ConfigError for a bad config, ListenerError for a listener that cannot open. */
export async function startService(configPath: string | undefined, logger: Logger, options: ServiceOptions = {}): Promise<Service> {
  const { worker } = options;
  const metrics = createMetrics(() => new Date(), worker === undefined ? {} : { worker: String(worker.id) });
  const builder: Builder = { configPath, overrides: options.overrides ?? {}, logger, metrics, crlFiles: new CrlFiles() };
  let state: State = await buildState(builder, 1);
  logNotes(logger, state);
  warnAboutBareExemptContexts(state.config, logger);
  const initial = state.config;
  const config = () => state.config;
  const listeners = await openListeners({
    config,
    tls: state.tls,
    forwardAuthTls: state.forwardAuthTls,
    metrics,
    logger,
    serveMetrics: worker === undefined,
    deps: {
      validator: () => state.validator,
      now: () => new Date(),
      fetchRevocation: createRevocationFetcher({
        timeoutMs: initial.revocation.timeoutMs,
        maxBytes: initial.revocation.maxFetchBytes,
        failureBackoffMs: initial.revocation.failureBackoffSeconds * 1000,
      }),
      onDecision: decisionObserver(logger, metrics, config),
      onError: (error, rpc) => logger.error({ err: error, rpc }, "request failed"),
    },
  });
  if (worker === undefined) listeners.grpc.setServing();

  let watcher: FileWatch | undefined;
  const rewatch = () => {
    watcher?.close();
    watcher = watchFiles(watchedFiles(state.config, configPath), RELOAD_DEBOUNCE_MS, () => void reload("file change"), state.config.revocation.crlDirs);
  };
  const apply = (next: State, trigger: string) => {
    if (restartOnly(next.config) !== restartOnly(state.config)) {
      logger.warn({ trigger }, "listener, TLS, caller or metrics settings changed: they take effect on restart; the rest is applied now");
    }
    state = next;
    listeners.updateTls(state.tls, state.forwardAuthTls);
    logNotes(logger, state);
    logger.level = state.config.log.level;
    metrics.reload(true, state.generation);
    if (worker === undefined) rewatch();
    logger.info({ trigger, generation: state.generation, config: state.config.source }, "configuration reloaded");
  };
  const refuse = (problems: readonly string[], trigger: string) => {
    metrics.reload(false, state.generation);
    logger.error({ trigger, problems, generation: state.generation }, "reload refused; the previous configuration stays in use");
  };
  const build = async (): Promise<State | readonly string[]> => {
    try {
      return await buildState(builder, state.generation + 1);
    } catch (error) {
      return error instanceof ConfigError ? error.problems : [String(error)];
    }
  };
  const queue = new ReloadQueue();
  const reload = (trigger: string): Promise<boolean> =>
    queue.run(async () => {
      const next = await build();
      if (Array.isArray(next)) refuse(next, trigger);
      else apply(next as State, trigger);
      return !Array.isArray(next);
    });
  let prepared: State | undefined;
  if (worker === undefined) rewatch();

  if (worker === undefined) startupLine(logger, initial, listeners);
  // The start-up line above is printed whatever the level; the configured level applies from here on.
  logger.level = initial.log.level;
  return {
    server: listeners.grpc,
    forwardAuth: listeners.forwardAuth,
    metricsServer: listeners.metrics,
    metrics,
    config,
    reload,
    async prepare() {
      const next = await build();
      prepared = Array.isArray(next) ? undefined : (next as State);
      return Array.isArray(next) ? next : [];
    },
    commit(trigger) {
      if (prepared !== undefined) apply(prepared, trigger);
      prepared = undefined;
    },
    abort() {
      prepared = undefined;
    },
    setServing() {
      listeners.grpc.setServing();
    },
    async stop() {
      watcher?.close();
      listeners.grpc.setNotServing();
      await listeners.close(state.config.server.drainSeconds * 1000);
    },
  };
}
