// A strict reflection client, as grpcurl is: every file is built into a registry
// through its own dependency list, from nothing but what the server sent.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import * as grpc from "@grpc/grpc-js";
import { createFileRegistry, fromBinary, fromJson, toBinary, toJson, type DescFile, type JsonValue } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema, type FileDescriptorProto } from "@bufbuild/protobuf/wkt";
import { AT } from "../helpers/pki.ts";
import { buildScenarios, settingsFor } from "../helpers/scenarios.ts";
import { clientFor, startTestServer, type TestServer } from "../helpers/server.ts";

interface ReflectionResponse {
  valid_host: string;
  message_response: string;
  file_descriptor_response?: { file_descriptor_proto: Buffer[] };
  list_services_response?: { service: { name: string }[] };
  error_response?: { error_code: number; error_message: string };
  all_extension_numbers_response?: { base_type_name: string; extension_number: number[] };
}

/** One reflection stream: send a request, read its answer. */
class ReflectionStream {
  readonly #call: grpc.ClientDuplexStream<object, ReflectionResponse>;
  readonly #waiting: ((response: ReflectionResponse) => void)[] = [];

  constructor(address: string, version: "v1" | "v1alpha") {
    const client = clientFor(`grpc.reflection.${version}.ServerReflection`, address);
    this.#call = client.ServerReflectionInfo!() as grpc.ClientDuplexStream<object, ReflectionResponse>;
    this.#call.on("data", (response: ReflectionResponse) => this.#waiting.shift()?.(response));
    this.#call.on("error", () => undefined);
  }

  ask(request: object): Promise<ReflectionResponse> {
    return new Promise((resolve) => {
      this.#waiting.push(resolve);
      this.#call.write({ host: "", ...request });
    });
  }

  close(): void {
    this.#call.end();
  }
}

/**
 * Builds `fileName` strictly from the protos received: each file is built into a
 * registry holding only its own direct imports (each built the same way first), so
 * a type reachable only through a missing or undeclared import fails, as in grpcurl.
 * (createFileRegistry's resolver walk adds shared imports out of order, so each
 * import is handed over already built.)
 */
function strictRegistry(received: Map<string, FileDescriptorProto>, fileName: string) {
  const built = new Map<string, DescFile>();
  const build = (name: string) => {
    const file = received.get(name);
    assert.ok(file, `${name} was not sent`);
    const registry = createFileRegistry(file, (dependency) => built.get(dependency) ?? buildFile(dependency));
    return registry;
  };
  const buildFile = (name: string): DescFile => {
    const file = build(name).getFile(name)!;
    built.set(name, file);
    return file;
  };
  return build(fileName);
}

async function fetchFiles(stream: ReflectionStream, symbol: string, received: Map<string, FileDescriptorProto>): Promise<string> {
  const response = await stream.ask({ file_containing_symbol: symbol });
  assert.equal(response.message_response, "file_descriptor_response", JSON.stringify(response.error_response));
  const files = response.file_descriptor_response!.file_descriptor_proto.map((bytes) => fromBinary(FileDescriptorProtoSchema, bytes));
  for (const file of files) received.set(file.name, file);
  return files[0]!.name;
}

function callRaw(address: string, path: string, request: Uint8Array): Promise<Buffer> {
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(
      path,
      (b: Buffer) => b,
      (b: Buffer) => b,
      Buffer.from(request),
      (error, response) => {
        client.close();
        if (error || !response) reject(error);
        else resolve(response);
      },
    );
  });
}

describe("server reflection for strict clients", async () => {
  const { pki, scenarios } = await buildScenarios();
  let test: TestServer;
  before(async () => {
    test = await startTestServer(settingsFor(pki), AT);
  });
  after(() => test.close());

  for (const version of ["v1", "v1alpha"] as const) {
    it(`${version}: lists the served services`, async () => {
      const stream = new ReflectionStream(test.server.address, version);
      const response = await stream.ask({ list_services: "" });
      stream.close();
      const names = response.list_services_response!.service.map((s) => s.name);
      for (const name of [
        "certgate.v1.CertificateValidator",
        "envoy.service.auth.v3.Authorization",
        "grpc.health.v1.Health",
        "grpc.reflection.v1.ServerReflection",
        "grpc.reflection.v1alpha.ServerReflection",
      ]) {
        assert.ok(names.includes(name), `${name} missing from ${names.join(", ")}`);
      }
    });
  }

  it("describes certgate.v1 with its real file name and imports, and calls Validate from JSON (grpcurl -d)", async () => {
    const stream = new ReflectionStream(test.server.address, "v1");
    const received = new Map<string, FileDescriptorProto>();
    const fileName = await fetchFiles(stream, "certgate.v1.CertificateValidator", received);
    stream.close();
    assert.equal(fileName, "certgate/v1/certgate.proto");
    assert.deepEqual(received.get(fileName)!.dependency, ["google/protobuf/timestamp.proto"]);
    const registry = strictRegistry(received, fileName);
    const method = registry.getService("certgate.v1.CertificateValidator")!.methods.find((m) => m.name === "Validate")!;
    const request = fromJson(method.input, { pem: (scenarios[0]!.chain as { pem: string }).pem, context: "/api/users", method: "GET" } as JsonValue);
    const answer = await callRaw(test.server.address, "/certgate.v1.CertificateValidator/Validate", toBinary(method.input, request));
    const json = toJson(method.output, fromBinary(method.output, answer)) as Record<string, unknown>;
    assert.equal(json.allowed, true);
    assert.equal(json.reason, "OK");
    assert.equal(json.httpStatus, 200);
    assert.equal((json.principal as Record<string, unknown>).qualifiedUsername, "SECONDARY/john@tenant.com");
    assert.equal((json.principal as Record<string, unknown>).notAfter, "2028-01-01T00:00:00Z");
  });

  it("describes envoy.service.auth.v3.Authorization through its whole import tree and calls Check from JSON", async () => {
    const stream = new ReflectionStream(test.server.address, "v1alpha");
    const received = new Map<string, FileDescriptorProto>();
    const fileName = await fetchFiles(stream, "envoy.service.auth.v3.Authorization", received);
    stream.close();
    assert.equal(fileName, "envoy/service/auth/v3/external_auth.proto");
    for (const imported of [
      "envoy/config/core/v3/base.proto",
      "google/rpc/status.proto",
      "validate/validate.proto",
      "udpa/annotations/status.proto",
      "xds/core/v3/context_params.proto",
    ]) {
      assert.ok(received.has(imported), `${imported} was not sent`);
    }
    const method = strictRegistry(received, fileName)
      .getService("envoy.service.auth.v3.Authorization")!
      .methods.find((m) => m.name === "Check")!;
    const pem = (scenarios[0]!.chain as { pem: string }).pem;
    const request = fromJson(method.input, {
      attributes: { request: { http: { method: "GET", path: "/api/users", headers: { "x-forwarded-client-cert": `Chain="${encodeURIComponent(pem)}"` } } } },
    });
    const answer = await callRaw(test.server.address, "/envoy.service.auth.v3.Authorization/Check", toBinary(method.input, request));
    const json = toJson(method.output, fromBinary(method.output, answer)) as {
      status?: { code?: number };
      okResponse?: { headers: { header: { key: string; value: string } }[] };
    };
    assert.equal(json.status?.code ?? 0, 0);
    assert.ok(json.okResponse!.headers.some((h) => h.header.key === "x-certgate-qualified-user" && h.header.value === "SECONDARY/john@tenant.com"));
  });

  it("the strict build refuses what @grpc/reflection 1.0 sends: a file with its dependency list emptied", async () => {
    const stream = new ReflectionStream(test.server.address, "v1");
    const received = new Map<string, FileDescriptorProto>();
    const fileName = await fetchFiles(stream, "certgate.v1.CertificateValidator", received);
    stream.close();
    received.get(fileName)!.dependency = [];
    assert.throws(() => strictRegistry(received, fileName), /google\.protobuf\.Timestamp|Cannot find/);
  });

  it("describes grpc.health.v1.Health under its canonical file name and calls Check", async () => {
    const stream = new ReflectionStream(test.server.address, "v1");
    const received = new Map<string, FileDescriptorProto>();
    const fileName = await fetchFiles(stream, "grpc.health.v1.Health.Check", received);
    stream.close();
    assert.equal(fileName, "grpc/health/v1/health.proto");
    const method = strictRegistry(received, fileName)
      .getService("grpc.health.v1.Health")!
      .methods.find((m) => m.name === "Check")!;
    const answer = await callRaw(test.server.address, "/grpc.health.v1.Health/Check", toBinary(method.input, fromJson(method.input, { service: "" })));
    assert.deepEqual(toJson(method.output, fromBinary(method.output, answer)), { status: "SERVING" });
  });

  it("finds messages, nested enums and methods by symbol, and sends each dependency once per stream", async () => {
    const stream = new ReflectionStream(test.server.address, "v1");
    const first = await stream.ask({ file_containing_symbol: "certgate.v1.ValidateRequest" });
    const names = (r: ReflectionResponse) => r.file_descriptor_response!.file_descriptor_proto.map((b) => fromBinary(FileDescriptorProtoSchema, b).name);
    assert.deepEqual(names(first), ["certgate/v1/certgate.proto", "google/protobuf/timestamp.proto"]);
    const again = await stream.ask({ file_containing_symbol: "certgate.v1.Reason" });
    assert.deepEqual(names(again), ["certgate/v1/certgate.proto"]);
    const nested = await stream.ask({ file_containing_symbol: "grpc.health.v1.HealthCheckResponse.ServingStatus" });
    assert.deepEqual(names(nested), ["grpc/health/v1/health.proto"]);
    const byName = await stream.ask({ file_by_filename: "google/protobuf/timestamp.proto" });
    assert.deepEqual(names(byName), ["google/protobuf/timestamp.proto"]);
    stream.close();
  });

  it("answers unknown symbols and files with NOT_FOUND and keeps the stream open", async () => {
    const stream = new ReflectionStream(test.server.address, "v1");
    const missing = await stream.ask({ file_containing_symbol: "no.such.Service" });
    assert.equal(missing.error_response?.error_code, grpc.status.NOT_FOUND);
    const missingFile = await stream.ask({ file_by_filename: "nope.proto" });
    assert.equal(missingFile.error_response?.error_code, grpc.status.NOT_FOUND);
    const stillOpen = await stream.ask({ list_services: "" });
    assert.ok(stillOpen.list_services_response!.service.length > 0);
    const extensions = await stream.ask({ all_extension_numbers_of_type: "google.protobuf.FieldOptions" });
    assert.ok(extensions.all_extension_numbers_response!.extension_number.length > 0);
    stream.close();
  });
});
