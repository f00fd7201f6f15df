// Prometheus metrics (prom-client) and the HTTP listener that serves them, apart
// from the gRPC port so scraping never competes with authorisation traffic.
import { createServer, type Server } from "node:http";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { Certificate } from "../pki/certificate/certificate.ts";
import type { RevocationStore } from "../pki/revocation/store.ts";
import type { Reason } from "../reason.ts";
import { HotCounter, HotHistogram } from "./hot-instruments.ts";
import { ListenerError } from "../listener-error.ts";

export interface TrustMaterial {
  readonly anchors: readonly Certificate[];
  readonly intermediates: readonly Certificate[];
}

export interface Metrics {
  readonly registry: Registry;
  /** One decision: the adapter it came through (grpc, http), its rpc (Validate, Check, ForwardAuth), reason and time. */
  decision(adapter: string, rpc: string, reason: Reason, allowed: boolean, seconds: number): void;
  /** A caller of the forward-auth listener was refused before anything was read (trusted_proxies, allowed_caller_sans). */
  refusedPeer(): void;
  /** Seconds a distinct client certificate that was allowed has left (observed once per certificate). */
  clientCertificate(secondsLeft: number): void;
  cacheLookup(cache: string, hit: boolean): void;
  /** A distinct certificate (or CRL) on a verified path breaks `rule` (counted once per certificate by the caller). */
  nonconforming(rule: string): void;
  /** A revocation source existed but could not be used (counted once per source per backoff period by the caller). */
  revocationUnavailable(sourceKind: string, why: string): void;
  reload(ok: boolean, generation: number): void;
  /** What the expiry gauges describe from now on. */
  trustMaterial(material: TrustMaterial): void;
  /** Whose CRLs the CRL-age gauge describes from now on. */
  revocationStore(store: RevocationStore): void;
}

export interface MetricsOptions {
  /**
   * A cluster worker's number: its calls are also counted under that worker's label;
   * reloads are the primary's to count (the workers' would add up to N per reload).
   */
  readonly worker?: string;
}

export function createMetrics(now: () => Date, options: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "certgate_" });
  // Counted on every call: plain numbers, read at scrape time (hot-instruments.ts).
  const decisions = new HotCounter("certgate_decisions_total", "Decisions by adapter (grpc, http), rpc (Validate, Check, ForwardAuth) and reason", registry);
  const latency = new HotHistogram(
    "certgate_decision_duration_seconds",
    "Time to decide one call, from request to answer",
    [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1],
    registry,
  );
  const clientExpiry = new Histogram({
    name: "certgate_client_certificate_expiry_seconds",
    help: "Time left on each distinct client certificate allowed, observed once per certificate per process",
    buckets: [3600, 86_400, 7 * 86_400, 14 * 86_400, 30 * 86_400, 90 * 86_400, 365 * 86_400],
    registers: [registry],
  });
  const cache = new HotCounter("certgate_cache_lookups_total", "Cache lookups by cache and result", registry);
  const nonconforming = new Counter({
    name: "certgate_nonconforming_certificates_total",
    help: "Distinct certificates (and CRLs) on verified paths that break an RFC 5280 rule for conforming CAs, by rule; each counted once",
    labelNames: ["rule"],
    registers: [registry],
  });
  const unavailable = new Counter({
    name: "certgate_revocation_unavailable_total",
    help: "Revocation sources (CRL files, fetched CRLs, OCSP responders) that existed but could not be used, once per source per backoff period",
    labelNames: ["source_kind", "why"],
    registers: [registry],
  });
  const refusedPeers = new Counter({
    name: "certgate_forward_auth_refused_peers_total",
    help: "Requests to the forward-auth listener refused unread: the peer is outside trusted_proxies or its certificate names none of allowed_caller_sans",
    registers: [registry],
  });
  const { reloads, generation } = reloadMetrics(options.worker === undefined ? [registry] : []);
  const workerCalls =
    options.worker === undefined
      ? undefined
      : new HotCounter("certgate_worker_calls_total", "Calls answered, by the worker process that answered them", registry).child({ worker: options.worker });
  let material: TrustMaterial = { anchors: [], intermediates: [] };
  new Gauge({
    name: "certgate_certificate_expiry_seconds",
    help: "Seconds until a configured trust anchor or intermediate expires (negative: expired)",
    labelNames: ["role", "subject", "fingerprint"],
    registers: [registry],
    // Across cluster workers (which read the same files): the soonest.
    aggregator: "min",
    collect() {
      this.reset();
      const at = now().getTime();
      for (const [role, list] of [
        ["anchor", material.anchors],
        ["intermediate", material.intermediates],
      ] as const) {
        for (const c of list) this.set({ role, subject: c.subject.text, fingerprint: c.fingerprint.slice(0, 16) }, (c.notAfter.getTime() - at) / 1000);
      }
    },
  });
  let crlStore: RevocationStore | undefined;
  new Gauge({
    name: "certgate_crl_entries",
    help: "Revoked certificates listed by the CRLs held for each issuer",
    labelNames: ["issuer"],
    registers: [registry],
    aggregator: "max",
    collect() {
      this.reset();
      for (const held of crlStore?.crlHoldings() ?? []) this.set({ issuer: held.issuer }, held.entries);
    },
  });
  new Gauge({
    name: "certgate_crl_bytes",
    help: "Memory the CRLs held for each issuer take: their DER (part=der) and their revoked-serial index (part=index)",
    labelNames: ["issuer", "part"],
    registers: [registry],
    collect() {
      this.reset();
      for (const held of crlStore?.crlHoldings() ?? []) {
        this.set({ issuer: held.issuer, part: "der" }, held.derBytes);
        this.set({ issuer: held.issuer, part: "index" }, held.indexBytes);
      }
    },
  });
  new Gauge({
    name: "certgate_crl_age_seconds",
    help: "Seconds since thisUpdate of the newest CRL held for each issuer",
    labelNames: ["issuer"],
    registers: [registry],
    aggregator: "max",
    collect() {
      this.reset();
      for (const { issuer, seconds } of crlStore?.crlAges(now().getTime()) ?? []) this.set({ issuer }, seconds);
    },
  });
  new Gauge({
    name: "certgate_crl_next_update_seconds",
    help: "Seconds until nextUpdate of the newest CRL held for each issuer (negative: past it, a stale CRL)",
    labelNames: ["issuer"],
    registers: [registry],
    aggregator: "min",
    collect() {
      this.reset();
      for (const { issuer, seconds } of crlStore?.crlNextUpdates(now().getTime()) ?? []) this.set({ issuer }, seconds);
    },
  });
  // Label lookups hash their values on every call; children resolved once are not. Keyed by
  // rpc, then reason: both are constant strings, whose hashes V8 keeps, where a joined key is new each call.
  const decisionCounters = new Map<string, Map<string, { inc(): void }>>();
  const latencies = new Map<string, { observe(value: number): void }>();
  const cacheCounters = new Map<string, { readonly hit: { inc(): void }; readonly miss: { inc(): void } }>();
  return {
    registry,
    decision(adapter, rpc, reason, allowed, seconds) {
      let byReason = decisionCounters.get(rpc);
      if (byReason === undefined) {
        byReason = new Map();
        decisionCounters.set(rpc, byReason);
      }
      let counter = byReason.get(reason);
      if (counter === undefined) {
        counter = decisions.child({ adapter, rpc, reason, allowed: String(allowed) });
        byReason.set(reason, counter);
      }
      counter.inc();
      let histogram = latencies.get(rpc);
      if (histogram === undefined) {
        histogram = latency.child({ adapter, rpc });
        latencies.set(rpc, histogram);
      }
      histogram.observe(seconds);
      workerCalls?.inc();
    },
    refusedPeer() {
      refusedPeers.inc();
    },
    clientCertificate(secondsLeft) {
      clientExpiry.observe(secondsLeft);
    },
    cacheLookup(name, hit) {
      let counters = cacheCounters.get(name);
      if (counters === undefined) {
        counters = { hit: cache.child({ cache: name, result: "hit" }), miss: cache.child({ cache: name, result: "miss" }) };
        cacheCounters.set(name, counters);
      }
      (hit ? counters.hit : counters.miss).inc();
    },
    nonconforming(rule) {
      nonconforming.inc({ rule });
    },
    revocationUnavailable(sourceKind, why) {
      unavailable.inc({ source_kind: sourceKind, why });
    },
    reload(ok, current) {
      reloads.inc({ result: ok ? "ok" : "failed" });
      generation.set(current);
    },
    trustMaterial(next) {
      material = next;
    },
    revocationStore(store) {
      crlStore = store;
    },
  };
}

/** certgate_reloads_total and certgate_reload_generation, registered in `registers` (none: counted, never exported). */
export function reloadMetrics(registers: Registry[]) {
  const reloads = new Counter({ name: "certgate_reloads_total", help: "Configuration reloads by result", labelNames: ["result"], registers });
  const generation = new Gauge({
    name: "certgate_reload_generation",
    help: "Generation of the configuration in use (1 at start, +1 per successful reload)",
    registers,
  });
  generation.set(1);
  return { reloads, generation };
}

export interface MetricsServer {
  readonly address: string;
  close(): Promise<void>;
}

/** What the endpoint serves: a Registry, or a cluster primary's aggregate of its workers'. */
export interface MetricsSource {
  readonly contentType: string;
  metrics(): Promise<string>;
}

/** Serves GET /metrics on `listen` ("host:port"). */
export function startMetricsServer(listen: string, registry: MetricsSource): Promise<MetricsServer> {
  const server: Server = createServer((request, response) => {
    if (request.method !== "GET" || request.url?.split("?")[0] !== "/metrics") {
      response.writeHead(404).end("not found\n");
      return;
    }
    registry.metrics().then(
      (text) => response.writeHead(200, { "content-type": registry.contentType }).end(text),
      (error: unknown) => response.writeHead(500).end(`metrics unavailable: ${String(error)}\n`),
    );
  });
  const at = listen.lastIndexOf(":");
  const host = listen.slice(0, at).replace(/^\[|\]$/g, "");
  return new Promise((resolve, reject) => {
    server.once("error", (error) => reject(new ListenerError("metrics", "metrics.listen", listen, error)));
    server.listen(Number(listen.slice(at + 1)), host, () => {
      const bound = server.address();
      const port = typeof bound === "object" && bound !== null ? bound.port : 0;
      resolve({ address: `${listen.slice(0, at)}:${port}`, close: () => new Promise((done) => server.close(() => done())) });
    });
  });
}
