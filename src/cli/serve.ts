// `certgate serve [--config FILE]`: start the service, reload on SIGHUP, drain and stop
// on SIGTERM/SIGINT. A configuration that does not load is plain lines on stderr and
// exit 2; a listener that cannot open, one line and exit 1.
import * as grpc from "@grpc/grpc-js";
import { pino } from "pino";
import { ConfigError } from "../config/config.ts";
import { ListenerError } from "../listener-error.ts";
import { startService, type Service } from "../process/service.ts";

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
