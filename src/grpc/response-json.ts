// A decision as `certgate verify` prints it: the proto3 canonical JSON (lowerCamelCase
// names, enum names, RFC 3339 timestamps) of the very ValidateResponse the gRPC service
// would send - built by the same toWireResponse, encoded by the same serializer - with
// every field present, as grpcurl -emit-defaults and buf curl --emit-defaults show it.
// Scripts written against one read the other.
import { createFileRegistry, fromBinary, toJson, type JsonObject } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import type { Decision } from "../validator/decision.ts";
import { toWireResponse } from "./certgate-service.ts";
import { loadDescriptors, serviceDefinition } from "./descriptors.ts";
import { CERTGATE_SERVICE } from "./server.ts";

export function validateResponseJson(decision: Decision): JsonObject {
  const descriptors = loadDescriptors();
  const validate = serviceDefinition(descriptors, CERTGATE_SERVICE).Validate!;
  const bytes = validate.responseSerialize(toWireResponse(decision));
  const registry = createFileRegistry(fromBinary(FileDescriptorSetSchema, descriptors.set));
  const schema = registry.getMessage("certgate.v1.ValidateResponse");
  if (schema === undefined) throw new Error("certgate.v1.ValidateResponse is not in the descriptor set");
  const json = toJson(schema, fromBinary(schema, bytes), { alwaysEmitImplicit: true, registry }) as JsonObject;
  // Emit-defaults writes an unset message field as null; toJson leaves it out. Field order is the schema's.
  return Object.fromEntries(schema.fields.map((field) => [field.jsonName, json[field.jsonName] ?? null]));
}
