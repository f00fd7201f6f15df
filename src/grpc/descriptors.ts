// The served protos, compiled with their imports into one FileDescriptorSet by
// `npm run build` (buf). The same bytes feed the gRPC service definitions and
// server reflection, so what grpcurl describes is exactly what is served.
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";

export const DESCRIPTOR_SET_PATH = fileURLToPath(new URL("../../build/descriptors.binpb", import.meta.url));

export interface Descriptors {
  readonly set: Uint8Array;
  readonly grpcObject: grpc.GrpcObject;
}

const LOADER_OPTIONS: protoLoader.Options = { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true };

export function loadDescriptors(path = DESCRIPTOR_SET_PATH): Descriptors {
  if (!existsSync(path)) throw new Error(`${path} is missing: run "npm run build" to compile the protos`);
  const set = readFileSync(path);
  const definition = protoLoader.loadFileDescriptorSetFromBuffer(set, LOADER_OPTIONS);
  return { set, grpcObject: grpc.loadPackageDefinition(definition) };
}

/** The service definition for a fully-qualified service name. */
export function serviceDefinition(descriptors: Descriptors, fullName: string): grpc.ServiceDefinition {
  let node: unknown = descriptors.grpcObject;
  for (const part of fullName.split(".")) node = (node as Record<string, unknown> | undefined)?.[part];
  const service = (node as { service?: grpc.ServiceDefinition } | undefined)?.service;
  if (service === undefined) throw new Error(`service ${fullName} is not in the descriptor set`);
  return service;
}
