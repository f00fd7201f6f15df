// One cluster worker: a whole serving process (process/service.ts) that opens its
// listeners on the addresses the primary shares out, says so, and then does what the
// primary says: SERVING once every worker listens, prepare/commit/abort a reload,
// drain and stop. Its metrics are the primary's to serve (prom-client's cluster
// aggregation answers on the same IPC channel).
import type { Logger } from "pino";
import { AggregatorRegistry } from "prom-client";
import type { ListenOverrides } from "../config/overrides.ts";
import { startService, type Service } from "./service.ts";
import { isCertgateMessage, type FromWorker, type ToWorker } from "./messages.ts";
import { startFailure } from "./start-failure.ts";

function send(message: FromWorker): void {
  process.send?.(message);
}

function obey(service: Service, logger: Logger, message: ToWorker, stop: (signal: string) => void): void {
  switch (message.type) {
    case "certgate:serving":
      service.setServing();
      return;
    case "certgate:prepare":
      void service.prepare().then((problems) => send({ type: "certgate:prepared", generation: message.generation, problems }));
      return;
    case "certgate:commit":
      service.commit(message.trigger);
      return;
    case "certgate:abort":
      service.abort();
      return;
    case "certgate:stop":
      stop("primary");
      return;
  }
}

/** Runs until told to stop (or SIGTERM/SIGINT, which a terminal sends the whole group); resolves with the exit code. */
export async function runWorker(configPath: string | undefined, id: number, logger: Logger, overrides: ListenOverrides = {}): Promise<number> {
  let service: Service;
  try {
    service = await startService(configPath, logger, { worker: { id }, overrides });
  } catch (error) {
    const failure = startFailure(error);
    send({ type: "certgate:failed", lines: failure?.lines ?? `certgate: worker ${id} failed to start: ${String(error)}\n`, code: failure?.code ?? 1 });
    process.disconnect?.();
    return failure?.code ?? 1;
  }
  new AggregatorRegistry();
  AggregatorRegistry.setRegistries([service.metrics.registry]);
  send({ type: "certgate:listening", address: service.server.address, forwardAuth: service.forwardAuth?.address, health: service.server.healthAddress });
  return new Promise((resolve) => {
    let stopping = false;
    const stop = (why: string) => {
      if (stopping) return;
      stopping = true;
      logger.info({ why }, "worker draining");
      // Closing the IPC channel lets the process end once the listeners are closed.
      void service.stop().then(() => {
        process.disconnect?.();
        resolve(0);
      });
    };
    process.on("message", (message: unknown) => {
      if (isCertgateMessage<ToWorker>(message)) obey(service, logger, message, stop);
    });
    // The primary reloads every worker; a SIGHUP sent to one worker asks it to.
    process.on("SIGHUP", () => send({ type: "certgate:reload", trigger: "SIGHUP (worker)" }));
    process.once("SIGTERM", () => stop("SIGTERM"));
    process.once("SIGINT", () => stop("SIGINT"));
    // The primary gone: nothing would stop or reload this worker any more.
    process.once("disconnect", () => stop("primary exited"));
  });
}
