// The served protos, compiled with their imports into one FileDescriptorSet by
// `npm run build` (buf): reflection serves it whole, so grpcurl describes exactly
// what is served; the codec is built from its pruned copy (the types the served
// methods reach, without annotation-only files), which costs a server less memory.
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";

export const DESCRIPTOR_SET_PATH = fileURLToPath(new URL("../../build/descriptors.binpb", import.meta.url));
export const CODEC_SET_PATH = fileURLToPath(new URL("../../build/codec.binpb", import.meta.url));

export interface Descriptors {
  readonly set: Uint8Array;
  readonly grpcObject: grpc.GrpcObject;
}

const LOADER_OPTIONS: protoLoader.Options = { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true };

function read(path: string): Buffer {
  if (!existsSync(path)) throw new Error(`${path} is missing: run "npm run build" to compile the protos`);
  return readFileSync(path);
}

export function loadDescriptors(path = DESCRIPTOR_SET_PATH, codecPath = CODEC_SET_PATH): Descriptors {
  const definition = protoLoader.loadFileDescriptorSetFromBuffer(read(codecPath), LOADER_OPTIONS);
  return { set: read(path), grpcObject: grpc.loadPackageDefinition(definition) };
}

/** The service definition for a fully-qualified service name. */
export function serviceDefinition(descriptors: Descriptors, fullName: string): grpc.ServiceDefinition {
  let node: unknown = descriptors.grpcObject;
  for (const part of fullName.split(".")) node = (node as Record<string, unknown> | undefined)?.[part];
  const service = (node as { service?: grpc.ServiceDefinition } | undefined)?.service;
  if (service === undefined) throw new Error(`service ${fullName} is not in the descriptor set`);
  return service;
}
