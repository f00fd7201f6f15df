// Starts the real gRPC server on 127.0.0.1:0 and builds grpc-js clients from the
// same descriptor set the server serves.
import * as grpc from "@grpc/grpc-js";
import type { ExtAuthzConfig } from "../../src/config/config.ts";
import { DEFAULTS } from "../../src/defaults.ts";
import { loadDescriptors, type Descriptors } from "../../src/grpc/descriptors.ts";
import { startServer, type RunningServer } from "../../src/grpc/server.ts";
import type { DecisionEvent } from "../../src/grpc/certgate-service.ts";
import { createValidator, type ValidatorSettings } from "../../src/validator/validator.ts";

export const descriptors: Descriptors = loadDescriptors();

type ClientConstructor = new (address: string, credentials: grpc.ChannelCredentials, options?: grpc.ChannelOptions) => grpc.Client;

export function clientFor(
  service: string,
  address: string,
  credentials = grpc.credentials.createInsecure(),
  options: grpc.ChannelOptions = {},
): grpc.Client & Record<string, Function> {
  let node: unknown = descriptors.grpcObject;
  for (const part of service.split(".")) node = (node as Record<string, unknown>)[part];
  return new (node as ClientConstructor)(address, credentials, options) as grpc.Client & Record<string, Function>;
}

/** One call; with `deadlineMs`, a call that has not been answered by then fails (DEADLINE_EXCEEDED) instead of waiting on. */
export function unary<T>(client: grpc.Client & Record<string, Function>, method: string, request: unknown, deadlineMs?: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const callback = (error: grpc.ServiceError | null, response: T) => (error ? reject(error) : resolve(response));
    if (deadlineMs === undefined) client[method]!.call(client, request, callback);
    else client[method]!.call(client, request, new grpc.Metadata(), { deadline: Date.now() + deadlineMs }, callback);
  });
}

export interface TestServer {
  readonly server: RunningServer;
  readonly events: DecisionEvent[];
  readonly errors: unknown[];
  close(): Promise<void>;
}

export async function startTestServer(
  settings: ValidatorSettings,
  at: Date,
  maxRequestBytes = 64 * 1024,
  extAuthz: ExtAuthzConfig = DEFAULTS.extAuthz,
): Promise<TestServer> {
  const validator = createValidator(settings);
  const events: DecisionEvent[] = [];
  const errors: unknown[] = [];
  const server = await startServer(
    { listen: "127.0.0.1:0", maxRequestBytes, descriptors, extAuthz: () => extAuthz },
    { validator: () => validator, now: () => at, onDecision: (e) => events.push(e), onError: (e) => errors.push(e) },
  );
  server.setServing();
  return { server, events, errors, close: () => server.shutdown(1000) };
}
