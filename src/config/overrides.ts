// Listen addresses given on serve's command line (--listen, --metrics-listen), over the
// configuration's: a second server beside one already running (npm start in another
// terminal), a test on ports it found free. Checked like the keys they replace.
import { ConfigError, type Config } from "./config.ts";
import { invalidListenAddress } from "./load.ts";

export interface ListenOverrides {
  /** server.listen */
  readonly listen?: string | undefined;
  /** metrics.listen ("" = off) */
  readonly metricsListen?: string | undefined;
}

export function withOverrides(config: Config, overrides: ListenOverrides): Config {
  const { listen, metricsListen } = overrides;
  if (listen === undefined && metricsListen === undefined) return config;
  const problems: string[] = [];
  const listenProblem = listen === undefined ? undefined : invalidListenAddress(listen);
  if (listenProblem !== undefined) problems.push(`--listen: ${listenProblem}`);
  const metricsProblem = metricsListen === undefined || metricsListen === "" ? undefined : invalidListenAddress(metricsListen);
  if (metricsProblem !== undefined || metricsListen?.startsWith("unix:")) problems.push(`--metrics-listen: ${metricsProblem ?? "must be host:port"}`);
  if (problems.length > 0) throw new ConfigError(config.source, problems);
  return Object.freeze({
    ...config,
    server: Object.freeze({ ...config.server, listen: listen ?? config.server.listen }),
    metrics: Object.freeze({ ...config.metrics, listen: metricsListen ?? config.metrics.listen }),
  });
}
