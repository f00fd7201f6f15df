// Every request listener a process serves on, opened whole or not at all: the gRPC
// port (certgate, ext_authz, health, reflection) with its optional plaintext health
// port, the forward-auth HTTP listener, the metrics listener. A listener that cannot
// open closes those already open, and the start fails naming it.
import type { Logger } from "pino";
import type { Config } from "../config/config.ts";
import type { ServerTlsMaterial } from "../config/trust-material.ts";
import type { ServiceDeps } from "../grpc/certgate-service.ts";
import { startServer, type RunningServer } from "../grpc/server.ts";
import { forwardAuthHandler } from "../http/forward-auth.ts";
import { startHttpListener, type RunningHttpListener } from "../http/server.ts";
import type { Metrics } from "../metrics/metrics.ts";
import { startMetricsServer, type MetricsServer } from "../metrics/metrics.ts";

export interface Listeners {
  readonly grpc: RunningServer;
  readonly forwardAuth: RunningHttpListener | undefined;
  readonly metrics: MetricsServer | undefined;
  /** New TLS material for new handshakes on each listener that has TLS. */
  updateTls(server: ServerTlsMaterial | undefined, forwardAuth: ServerTlsMaterial | undefined): void;
  /** Stops accepting and drains: in-flight calls get `graceMs`, then every connection is closed. */
  close(graceMs: number): Promise<void>;
}

export interface ListenerSources {
  /** The configuration in use now (a reload replaces it; the listeners read it per request). */
  readonly config: () => Config;
  readonly tls: ServerTlsMaterial | undefined;
  readonly forwardAuthTls: ServerTlsMaterial | undefined;
  readonly deps: ServiceDeps;
  readonly metrics: Metrics;
  readonly logger: Logger;
  /** Whether this process serves the metrics endpoint (a cluster worker does not: the primary aggregates). */
  readonly serveMetrics: boolean;
}

/** A refused forward-auth peer is logged once a minute per address, and always counted. */
function refusedPeerLog(logger: Logger, metrics: Metrics): (peer: string, why: string) => void {
  const logged = new Map<string, number>();
  return (peer, why) => {
    metrics.refusedPeer();
    const now = Date.now();
    if ((logged.get(peer) ?? 0) > now) return;
    if (logged.size > 10_000) logged.clear();
    logged.set(peer, now + 60_000);
    logger.warn({ peer }, `forward auth: refused a request: ${why}`);
  };
}

function openForwardAuth(sources: ListenerSources): Promise<RunningHttpListener> {
  const { forwardAuth, server } = sources.config();
  // The same connection age as the gRPC port: a proxy's pool moves to new replicas too.
  const limits = { ...forwardAuth, ...(server.maxConnectionAgeSeconds > 0 ? { maxConnectionAgeMs: server.maxConnectionAgeSeconds * 1000 } : {}) };
  const handler = forwardAuthHandler({ ...sources.deps, onRefusedPeer: refusedPeerLog(sources.logger, sources.metrics) }, sources.config);
  return startHttpListener(
    {
      listen: forwardAuth.listen,
      key: "forward_auth.listen",
      name: "forward auth",
      socketMode: forwardAuth.socketMode,
      tls: sources.forwardAuthTls,
      limits,
    },
    handler,
  );
}

export async function openListeners(sources: ListenerSources): Promise<Listeners> {
  const initial = sources.config();
  const grpc = await startServer(
    {
      listen: initial.server.listen,
      maxRequestBytes: initial.server.maxRequestBytes,
      maxConcurrentStreams: initial.server.maxConcurrentStreams,
      extAuthz: () => sources.config().extAuthz,
      tls: sources.tls,
      allowedCallerSans: initial.server.allowedCallerSans,
      socketMode: initial.server.socketMode,
      healthListen: initial.health.listen,
      connections: {
        maxAgeMs: initial.server.maxConnectionAgeSeconds * 1000,
        maxAgeGraceMs: initial.server.maxConnectionAgeGraceSeconds * 1000,
        maxIdleMs: initial.server.maxConnectionIdleSeconds * 1000,
        keepaliveMs: initial.server.keepaliveSeconds * 1000,
      },
    },
    sources.deps,
  );
  let forwardAuth: RunningHttpListener | undefined;
  let metrics: MetricsServer | undefined;
  try {
    forwardAuth = initial.forwardAuth.listen === "" ? undefined : await openForwardAuth(sources);
    metrics = !sources.serveMetrics || initial.metrics.listen === "" ? undefined : await startMetricsServer(initial.metrics.listen, sources.metrics.registry);
  } catch (error) {
    // Whole or not at all: what was opened closes, and the caller exits naming the listener.
    await Promise.all([grpc.shutdown(0), forwardAuth?.close(0)]);
    throw error;
  }
  return {
    grpc,
    forwardAuth,
    metrics,
    updateTls(server, forwardAuthTls) {
      if (server !== undefined) grpc.updateTls(server);
      if (forwardAuthTls !== undefined) forwardAuth?.updateTls(forwardAuthTls);
    },
    async close(graceMs) {
      await Promise.all([grpc.shutdown(graceMs), forwardAuth?.close(graceMs)]);
      await metrics?.close();
    },
  };
}
