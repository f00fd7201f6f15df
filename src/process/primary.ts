// The node:cluster primary of `certgate serve` with workers > 1. It reads and checks the
// configuration once (a bad one: the usual lines once, exit 2, no worker started),
// forks the workers, which share every listener's address, and says SERVING through
// them only when all listen; a worker that cannot listen fails the whole start. It
// then keeps them: a reload is checked here once and reaches every worker in two
// phases (prepare everywhere, then commit; one failure aborts everywhere); a worker
// that dies is logged, counted and restarted with backoff; SIGTERM drains them all.
// It serves the one metrics endpoint: every worker's metrics added up, and its own.
import cluster from "node:cluster";
import { extname } from "node:path";
import { fileURLToPath } from "node:url";
import type { Logger } from "pino";
import { AggregatorRegistry, Counter, Gauge, Registry } from "prom-client";
import { readConfig, readMaterial } from "../cli/config-material.ts";
import { ConfigError, type Config } from "../config/config.ts";
import type { ListenOverrides } from "../config/overrides.ts";
import { watchFiles, type FileWatch } from "../config/file-watch.ts";
import { reloadMetrics, startMetricsServer, type MetricsServer } from "../metrics/metrics.ts";
import { ReloadQueue } from "./reload-queue.ts";
import { startFailure } from "./start-failure.ts";
import { watchedFiles } from "./state.ts";
import { Supervisor } from "./supervisor.ts";

const RELOAD_DEBOUNCE_MS = 250;
/** A prepare answer slower than this counts as a failure (a 1M-entry CRL takes seconds, not minutes). */
const PREPARE_TIMEOUT_MS = 120_000;

export interface PrimaryOptions {
  readonly configPath: string | undefined;
  /** serve's --listen and --metrics-listen, over the configuration's (and passed on to the workers). */
  readonly overrides: ListenOverrides;
  readonly workers: number;
  readonly logger: Logger;
}

/** Reads and checks the configuration as a worker will; a ConfigError names every problem. */
async function checkConfig(options: PrimaryOptions, initial: boolean): Promise<Config> {
  const { configPath, logger, overrides } = options;
  const config = await readConfig(configPath, (dir) => logger.info({ dir }, "generated the dev PKI (development only)"), overrides);
  await readMaterial(config, { initial });
  return config;
}

function primaryMetrics() {
  const registry = new Registry();
  const workers = new Gauge({ name: "certgate_workers", help: "Worker processes listening (server.workers)", registers: [registry] });
  const restarts = new Counter({ name: "certgate_worker_restarts_total", help: "Workers that exited unasked and were started again", registers: [registry] });
  return { registry, workers, restarts, ...reloadMetrics([registry]) };
}

/** `certgate serve`'s entry module, for the workers to run (main.ts from source, main.js from dist/). */
const WORKER_ENTRY = fileURLToPath(new URL(`../cli/main${extname(fileURLToPath(import.meta.url))}`, import.meta.url));

export async function runPrimary(options: PrimaryOptions): Promise<number> {
  const { configPath, logger } = options;
  let config: Config;
  try {
    config = await checkConfig(options, true);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    logger.fatal({ problems: error.problems }, error.message);
    process.stderr.write(`certgate: ${error.message}\n`);
    return 2;
  }
  const metrics = primaryMetrics();
  const { listen, metricsListen } = options.overrides;
  const args = [
    "serve",
    ...(configPath === undefined ? [] : ["--config", configPath]),
    ...(listen === undefined ? [] : ["--listen", listen]),
    ...(metricsListen === undefined ? [] : ["--metrics-listen", metricsListen]),
  ];
  cluster.setupPrimary({ exec: WORKER_ENTRY, args });
  const supervisor = new Supervisor(options.workers, logger, {
    onListening: (count) => metrics.workers.set(count),
    onRestart: () => metrics.restarts.inc(),
  });
  const started = await supervisor.start();
  if (!started.ok) {
    logger.fatal({ code: started.code }, started.lines.trim());
    process.stderr.write(started.lines);
    return started.code;
  }
  let metricsServer: MetricsServer | undefined;
  try {
    const aggregator = new AggregatorRegistry();
    const source = { contentType: aggregator.contentType, metrics: async () => `${await aggregator.clusterMetrics()}\n${await metrics.registry.metrics()}` };
    metricsServer = config.metrics.listen === "" ? undefined : await startMetricsServer(config.metrics.listen, source);
  } catch (error) {
    await supervisor.stop();
    const failure = startFailure(error);
    process.stderr.write(failure?.lines ?? `certgate: ${String(error)}\n`);
    return failure?.code ?? 1;
  }
  supervisor.serve();
  startupLine(logger, config, started.address, options.workers, metricsServer?.address);
  logger.level = config.log.level;

  let generation = 1;
  let watcher: FileWatch | undefined;
  const queue = new ReloadQueue();
  const rewatch = () => {
    watcher?.close();
    watcher = watchFiles(watchedFiles(config, configPath), RELOAD_DEBOUNCE_MS, () => void reload("file change"), config.revocation.crlDirs);
  };
  const refuse = (trigger: string, problems: readonly string[]) => {
    metrics.reloads.inc({ result: "failed" });
    logger.error({ trigger, problems, generation }, "reload refused; the previous configuration stays in use on every worker");
    return false;
  };
  const reload = (trigger: string) =>
    queue.run(async () => {
      let next: Config;
      try {
        next = await checkConfig(options, false);
      } catch (error) {
        return refuse(trigger, error instanceof ConfigError ? error.problems : [String(error)]);
      }
      const problems = await supervisor.prepare(generation + 1, trigger, PREPARE_TIMEOUT_MS);
      if (problems.length > 0) return refuse(trigger, problems);
      generation++;
      config = next;
      metrics.reloads.inc({ result: "ok" });
      metrics.generation.set(generation);
      rewatch();
      logger.level = config.log.level;
      logger.info({ trigger, generation, config: config.source, workers: options.workers }, "configuration reloaded on every worker");
      return true;
    });
  supervisor.onReloadRequest((trigger) => void reload(trigger));
  rewatch();
  process.on("SIGHUP", () => void reload("SIGHUP"));

  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      logger.info({ signal, drainSeconds: config.server.drainSeconds }, "shutting down: every worker NOT_SERVING, draining in-flight calls");
      watcher?.close();
      void supervisor.stop(config.server.drainSeconds * 1000 + 5000).then(async () => {
        await metricsServer?.close();
        resolve();
      });
    };
    process.once("SIGTERM", () => stop("SIGTERM"));
    process.once("SIGINT", () => stop("SIGINT"));
  });
  logger.info("stopped");
  return 0;
}

function startupLine(logger: Logger, config: Config, address: { address: string; forwardAuth?: string | undefined }, workers: number, metrics?: string): void {
  const plaintext = address.address.startsWith("unix:") ? `-unix ${address.address.slice(5)}` : address.address;
  const how = config.server.tls === undefined ? `grpcurl -plaintext ${plaintext} list` : `grpcurl -cacert CA -cert CERT -key KEY ${plaintext} list`;
  const forwardAuth = address.forwardAuth === undefined ? "" : `; forward auth (${config.forwardAuth.proxy}) on ${address.forwardAuth}`;
  logger.info(
    { address: address.address, forwardAuth: address.forwardAuth, metrics, workers, config: config.source },
    `certgate listening on ${address.address}; ${workers} workers${forwardAuth}; try: ${how}`,
  );
}
