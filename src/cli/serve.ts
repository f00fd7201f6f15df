// `certgate serve [--config FILE] [--workers N|auto]`: start the service, reload on
// SIGHUP, drain and stop on SIGTERM/SIGINT. A configuration that does not load is plain
// lines on stderr and exit 2; a listener that cannot open, one line and exit 1. With
// more than one worker this process is the cluster primary (process/primary.ts); in a
// worker it is one of the serving processes (process/worker.ts).
import cluster from "node:cluster";
import * as grpc from "@grpc/grpc-js";
import { pino } from "pino";
import { ConfigError } from "../config/config.ts";
import { ListenerError } from "../listener-error.ts";
import { startService, type Service } from "../process/service.ts";
import { startFailure } from "../process/start-failure.ts";
import { runPrimary } from "../process/primary.ts";
import { runWorker } from "../process/worker.ts";
import { readConfig } from "./config-material.ts";
import type { ListenOverrides } from "../config/overrides.ts";

/** The workers asked for: the flag, else the configuration's server.workers (read here only for that). */
async function workersWanted(configPath: string | undefined, flag: number | undefined, overrides: ListenOverrides): Promise<number | ConfigError> {
  if (flag !== undefined) return flag;
  try {
    return (await readConfig(configPath, undefined, overrides)).server.workers;
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
}

export interface ServeOptions {
  readonly workers?: number | undefined;
  readonly overrides?: ListenOverrides;
}

export async function serveCommand(configPath: string | undefined, serveOptions: ServeOptions = {}): Promise<number> {
  const overrides = serveOptions.overrides ?? {};
  const workerId = cluster.isWorker ? Number(process.env.CERTGATE_WORKER_ID) : undefined;
  const logger = pino({ base: workerId === undefined ? { service: "certgate" } : { service: "certgate", worker: workerId }, level: "info" });
  // grpc-js writes its own lines to stderr ("E No address added ..."); certgate says it once, in its log.
  grpc.setLogger({ error: (...parts: unknown[]) => logger.debug({ grpc: parts.map(String).join(" ") }, "grpc-js") });
  if (workerId !== undefined) return runWorker(configPath, workerId, logger, overrides);
  const workers = await workersWanted(configPath, serveOptions.workers, overrides);
  if (workers instanceof ConfigError) {
    logger.fatal({ problems: workers.problems }, workers.message);
    process.stderr.write(`certgate: ${workers.message}\n`);
    return 2;
  }
  if (workers > 1) return runPrimary({ configPath, workers, logger, overrides });
  let service: Service;
  try {
    service = await startService(configPath, logger, { overrides });
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
