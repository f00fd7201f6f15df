// The gRPC server: certgate's validator, Envoy's ext_authz, health and reflection
// on one port; optionally health alone on a plaintext port for kubelet probes.
import { chmod } from "node:fs/promises";
import * as grpc from "@grpc/grpc-js";
import type { ExtAuthzConfig } from "../config/config.ts";
import type { ServerTlsMaterial } from "../config/trust-material.ts";
import { allowedCallersInterceptor } from "./caller.ts";
import { Health } from "./health.ts";
import { certgateHandlers, type ServiceDeps } from "./certgate-service.ts";
import { loadDescriptors, serviceDefinition, type Descriptors } from "./descriptors.ts";
import { extAuthzHandlers } from "./ext-authz.ts";
import { indexDescriptorSet, reflectionHandlers } from "./reflection.ts";
import { passingEncoded } from "./response-encoding.ts";
import { ServerTlsProvider, providerCredentials } from "./tls-provider.ts";
import { ListenerError } from "../listener-error.ts";

export const CERTGATE_SERVICE = "certgate.v1.CertificateValidator";
export const EXT_AUTHZ_SERVICE = "envoy.service.auth.v3.Authorization";
const HEALTH_SERVICE = "grpc.health.v1.Health";
const REFLECTION_SERVICES = ["grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection"] as const;

export interface ServerOptions {
  readonly listen: string;
  readonly maxRequestBytes: number;
  /** HTTP/2 streams per connection (default 100). */
  readonly maxConcurrentStreams?: number;
  readonly extAuthz: () => ExtAuthzConfig;
  readonly tls?: ServerTlsMaterial | undefined;
  /** Non-empty: only callers whose certificate has one of these SAN values are answered. */
  readonly allowedCallerSans?: readonly string[];
  /** Permission bits for a unix socket listener. */
  readonly socketMode?: number;
  /** A plaintext listener with health only; "" or absent: none. */
  readonly healthListen?: string;
  /** How long connections live and are kept; absent or 0: unlimited. */
  readonly connections?: ConnectionLimits;
  readonly descriptors?: Descriptors;
}

export interface ConnectionLimits {
  /** GOAWAY after this long (grpc-js adds ±10% jitter), so clients reconnect and reach replicas added since. */
  readonly maxAgeMs: number;
  /** Calls in flight past the age get this long before the connection is cut. */
  readonly maxAgeGraceMs: number;
  /** A connection with no call for this long is closed. */
  readonly maxIdleMs: number;
  /** Every connection is pinged this often; no answer within 20 s closes it. */
  readonly keepaliveMs: number;
}

/** grpc-js's channel options for the limits; a 0 leaves grpc-js's "unlimited". */
function connectionOptions(limits: ConnectionLimits | undefined): Record<string, number> {
  if (limits === undefined) return {};
  const options: Record<string, number> = {};
  if (limits.maxAgeMs > 0) {
    options["grpc.max_connection_age_ms"] = limits.maxAgeMs;
    options["grpc.max_connection_age_grace_ms"] = limits.maxAgeGraceMs;
  }
  if (limits.maxIdleMs > 0) options["grpc.max_connection_idle_ms"] = limits.maxIdleMs;
  if (limits.keepaliveMs > 0) {
    options["grpc.keepalive_time_ms"] = limits.keepaliveMs;
    options["grpc.keepalive_timeout_ms"] = 20_000;
  }
  return options;
}

export interface RunningServer {
  /** "127.0.0.1:PORT" (the real port when 0 was asked) or "unix:/path". */
  readonly address: string;
  readonly healthAddress: string | undefined;
  readonly health: Health;
  /** New serving certificate and caller CAs for new handshakes (a renewal); established connections keep theirs. */
  updateTls(material: ServerTlsMaterial): void;
  /** Marks every service SERVING: once every listener of the process is open. */
  setServing(): void;
  /** Marks every service NOT_SERVING, for the drain before shutdown. */
  setNotServing(): void;
  /** Stops accepting, lets in-flight calls finish within `graceMs`, then cancels the rest. */
  shutdown(graceMs: number): Promise<void>;
}

function credentials(tls: ServerTlsMaterial | undefined, provider: ServerTlsProvider | undefined): grpc.ServerCredentials {
  if (tls === undefined || provider === undefined) return grpc.ServerCredentials.createInsecure();
  return providerCredentials(provider, tls);
}

function bind(server: grpc.Server, listen: string, creds: grpc.ServerCredentials, listener: string, key: string): Promise<string> {
  return new Promise((resolve, reject) => {
    server.bindAsync(listen, creds, (error, port) => {
      if (error !== null) reject(new ListenerError(listener, key, listen, error));
      else resolve(listen.startsWith("unix:") ? listen : `${listen.slice(0, listen.lastIndexOf(":"))}:${port}`);
    });
  });
}

function shutdownWithin(server: grpc.Server, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => server.forceShutdown(), graceMs);
    server.tryShutdown(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

export async function startServer(options: ServerOptions, deps: ServiceDeps): Promise<RunningServer> {
  const descriptors = options.descriptors ?? loadDescriptors();
  const allowed = options.allowedCallerSans ?? [];
  const server = new grpc.Server({
    ...connectionOptions(options.connections),
    "grpc.max_receive_message_length": options.maxRequestBytes,
    "grpc.max_concurrent_streams": options.maxConcurrentStreams ?? 100,
    interceptors: allowed.length > 0 ? [allowedCallersInterceptor(allowed, (path) => path.startsWith(`/${HEALTH_SERVICE}/`))] : [],
  });
  const certgate = passingEncoded(serviceDefinition(descriptors, CERTGATE_SERVICE));
  server.addService(certgate.definition, certgateHandlers(deps, certgate.encoders.Validate!));
  const extAuthz = passingEncoded(serviceDefinition(descriptors, EXT_AUTHZ_SERVICE));
  server.addService(extAuthz.definition, extAuthzHandlers(deps, options.extAuthz, extAuthz.encoders.Check!));
  // NOT_SERVING until the process has opened every listener it will serve on (setServing).
  const health = new Health({ "": "NOT_SERVING", [CERTGATE_SERVICE]: "NOT_SERVING", [EXT_AUTHZ_SERVICE]: "NOT_SERVING" });
  const healthDefinition = serviceDefinition(descriptors, HEALTH_SERVICE);
  server.addService(healthDefinition, health.handlers());
  const served = [CERTGATE_SERVICE, EXT_AUTHZ_SERVICE, HEALTH_SERVICE, ...REFLECTION_SERVICES];
  const reflection = reflectionHandlers(indexDescriptorSet(descriptors.set, served));
  for (const name of REFLECTION_SERVICES) server.addService(serviceDefinition(descriptors, name), reflection);
  const tlsProvider = options.tls === undefined ? undefined : new ServerTlsProvider(options.tls);
  const address = await bind(server, options.listen, credentials(options.tls, tlsProvider), "gRPC", "server.listen");
  // Group access by default: the proxy's user shares a group with certgate, nobody else connects.
  if (address.startsWith("unix:")) await chmod(address.slice("unix:".length), options.socketMode ?? 0o660);

  let healthServer: grpc.Server | undefined;
  let healthAddress: string | undefined;
  if (options.healthListen !== undefined && options.healthListen !== "") {
    healthServer = new grpc.Server();
    healthServer.addService(healthDefinition, health.handlers());
    try {
      healthAddress = await bind(healthServer, options.healthListen, grpc.ServerCredentials.createInsecure(), "health checks", "health.listen");
    } catch (error) {
      // Whole or not at all: the main listener closes too.
      server.forceShutdown();
      throw error;
    }
  }
  return {
    address,
    healthAddress,
    health,
    updateTls(material) {
      tlsProvider?.update(material);
    },
    setServing() {
      for (const service of ["", CERTGATE_SERVICE, EXT_AUTHZ_SERVICE]) health.setStatus(service, "SERVING");
    },
    setNotServing() {
      for (const service of ["", CERTGATE_SERVICE, EXT_AUTHZ_SERVICE]) health.setStatus(service, "NOT_SERVING");
    },
    async shutdown(graceMs) {
      await Promise.all([shutdownWithin(server, graceMs), healthServer === undefined ? undefined : shutdownWithin(healthServer, graceMs)]);
    },
  };
}
