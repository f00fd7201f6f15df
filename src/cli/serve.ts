// `certgate serve [--config FILE]`: load and check the config, start the server,
// stop gracefully on SIGTERM/SIGINT.
import { fileURLToPath } from "node:url";
import { pino, type Logger } from "pino";
import { ConfigError, type Config } from "../config/config.ts";
import { defaultConfig } from "../config/default.ts";
import { loadConfigFile } from "../config/load.ts";
import { loadTrustStore } from "../config/trust-material.ts";
import { validatorSettings } from "../config/validator-settings.ts";
import { ensureDevPki } from "../devpki/dev-pki.ts";
import type { DecisionEvent } from "../grpc/certgate-service.ts";
import { CERTGATE_SERVICE, EXT_AUTHZ_SERVICE, startServer, type RunningServer } from "../grpc/server.ts";
import { compileExemptContexts } from "../policy/exempt-context.ts";
import { createValidator } from "../validator.ts";

export const DEV_PKI_DIR = fileURLToPath(new URL("../../certs/dev", import.meta.url));
const DRAIN_MS = 10_000;

async function resolveConfig(configPath: string | undefined, logger: Logger): Promise<Config> {
  if (configPath !== undefined) return loadConfigFile(configPath);
  const { generated } = await ensureDevPki(DEV_PKI_DIR, new Date());
  if (generated) logger.info({ dir: DEV_PKI_DIR }, "generated the dev PKI (development only)");
  return defaultConfig(DEV_PKI_DIR);
}

function logDecision(logger: Logger, event: DecisionEvent): void {
  // Guarded so that a disabled level costs no object building on the hot path.
  if (!logger.isLevelEnabled("debug")) return;
  const { decision } = event;
  logger.debug(
    {
      rpc: event.rpc,
      allowed: decision.allowed,
      reason: decision.reason,
      principal: decision.identity?.principal?.qualifiedUsername,
      fingerprint: decision.identity?.fingerprint,
      context: event.context,
      method: event.method,
      durationMs: Math.round(event.durationMs * 1000) / 1000,
    },
    "decision",
  );
}

function warnAboutBareExemptContexts(config: Config, logger: Logger): void {
  for (const entry of compileExemptContexts(config.intermediateCertValidation.exemptContexts).bareEntries) {
    logger.warn(
      { entry },
      `exempt context "${entry}" matches that path segment anywhere in the path; prefer the prefix form "/${entry}" (WSO2 tests a substring, certgate matches whole segments)`,
    );
  }
}

export interface Served {
  readonly server: RunningServer;
  readonly config: Config;
}

/** Starts certgate; returns once listening. Throws ConfigError for a bad config. */
export async function serve(configPath: string | undefined, logger: Logger): Promise<Served> {
  const config = await resolveConfig(configPath, logger);
  logger.level = config.log.level;
  const validator = createValidator(validatorSettings(config, loadTrustStore(config)));
  warnAboutBareExemptContexts(config, logger);
  const server = await startServer(
    { listen: config.server.listen, maxRequestBytes: config.server.maxRequestBytes, extAuthz: () => config.extAuthz },
    {
      validator: () => validator,
      now: () => new Date(),
      onDecision: (event) => logDecision(logger, event),
      onError: (error, rpc) => logger.error({ err: error, rpc }, "request failed"),
    },
  );
  const plaintext = server.address.startsWith("unix:") ? `-plaintext -unix ${server.address.slice(5)}` : `-plaintext ${server.address}`;
  logger.info({ address: server.address, config: config.source }, `certgate listening on ${server.address}; try: grpcurl ${plaintext} list`);
  return { server, config };
}

export async function serveCommand(configPath: string | undefined): Promise<number> {
  const logger = pino({ base: { service: "certgate" } });
  let served: Served;
  try {
    served = await serve(configPath, logger);
  } catch (error) {
    if (error instanceof ConfigError) {
      logger.fatal({ problems: error.problems }, error.message);
      return 2;
    }
    logger.fatal({ err: error }, "certgate failed to start");
    return 1;
  }
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      logger.info({ signal }, "shutting down: draining in-flight calls");
      served.server.health.setStatus("", "NOT_SERVING");
      for (const service of [CERTGATE_SERVICE, EXT_AUTHZ_SERVICE]) served.server.health.setStatus(service, "NOT_SERVING");
      void served.server.shutdown(DRAIN_MS).then(resolve);
    };
    process.once("SIGTERM", () => stop("SIGTERM"));
    process.once("SIGINT", () => stop("SIGINT"));
  });
  logger.info("stopped");
  return 0;
}
