// The gRPC server: certgate's validator, health and reflection on one port.
import * as grpc from "@grpc/grpc-js";
import { HealthImplementation } from "grpc-health-check";
import type { ExtAuthzConfig } from "../config/config.ts";
import { certgateHandlers, type ServiceDeps } from "./certgate-service.ts";
import { extAuthzHandlers } from "./ext-authz.ts";
import { loadDescriptors, serviceDefinition, type Descriptors } from "./descriptors.ts";
import { indexDescriptorSet, reflectionHandlers } from "./reflection.ts";

export const CERTGATE_SERVICE = "certgate.v1.CertificateValidator";
export const EXT_AUTHZ_SERVICE = "envoy.service.auth.v3.Authorization";
const HEALTH_SERVICE = "grpc.health.v1.Health";
const REFLECTION_SERVICES = ["grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection"] as const;

export interface ServerOptions {
  readonly listen: string;
  readonly maxRequestBytes: number;
  readonly extAuthz: () => ExtAuthzConfig;
  readonly descriptors?: Descriptors;
}

export interface RunningServer {
  /** "127.0.0.1:PORT" (the real port when 0 was asked) or "unix:/path". */
  readonly address: string;
  readonly health: HealthImplementation;
  /** Stops accepting, lets in-flight calls finish within `graceMs`, then cancels the rest. */
  shutdown(graceMs: number): Promise<void>;
}

function bind(server: grpc.Server, listen: string): Promise<string> {
  return new Promise((resolve, reject) => {
    server.bindAsync(listen, grpc.ServerCredentials.createInsecure(), (error, port) => {
      if (error !== null) reject(new Error(`cannot listen on ${listen}: ${error.message}`));
      else resolve(listen.startsWith("unix:") ? listen : `${listen.slice(0, listen.lastIndexOf(":"))}:${port}`);
    });
  });
}

export async function startServer(options: ServerOptions, deps: ServiceDeps): Promise<RunningServer> {
  const descriptors = options.descriptors ?? loadDescriptors();
  const server = new grpc.Server({
    "grpc.max_receive_message_length": options.maxRequestBytes,
  });
  server.addService(serviceDefinition(descriptors, CERTGATE_SERVICE), certgateHandlers(deps));
  server.addService(serviceDefinition(descriptors, EXT_AUTHZ_SERVICE), extAuthzHandlers(deps, options.extAuthz));
  const health = new HealthImplementation({ "": "SERVING", [CERTGATE_SERVICE]: "SERVING", [EXT_AUTHZ_SERVICE]: "SERVING" });
  health.addToServer(server);
  const served = [CERTGATE_SERVICE, EXT_AUTHZ_SERVICE, HEALTH_SERVICE, ...REFLECTION_SERVICES];
  const reflection = reflectionHandlers(indexDescriptorSet(descriptors.set, served));
  for (const name of REFLECTION_SERVICES) server.addService(serviceDefinition(descriptors, name), reflection);
  const address = await bind(server, options.listen);
  return {
    address,
    health,
    shutdown(graceMs) {
      return new Promise((resolve) => {
        const timer = setTimeout(() => server.forceShutdown(), graceMs);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
  };
}
