// Compiles every served proto, with all its imports, into build/descriptors.binpb
// (served by reflection) and the pruned build/codec.binpb (the gRPC codec), using buf (its binary ships in the @bufbuild/buf npm package). The Envoy,
// googleapis, validate and xds trees come from @grpc/grpc-js-xds, unmodified;
// grpc.health.v1 is staged under its canonical file name from grpc-health-check.
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema, type DescriptorProto, type EnumDescriptorProto } from "@bufbuild/protobuf/wkt";

const root = fileURLToPath(new URL("..", import.meta.url));
const require = createRequire(import.meta.url);
const xds = "node_modules/@grpc/grpc-js-xds/deps";
const reflection = "node_modules/@grpc/reflection/build/proto";

const vendor = join(root, "build/proto-vendor/grpc/health/v1");
mkdirSync(vendor, { recursive: true });
copyFileSync(join(dirname(require.resolve("grpc-health-check/package.json")), "proto/health/v1/health.proto"), join(vendor, "health.proto"));

const targets = [
  "proto/certgate/v1/certgate.proto",
  "build/proto-vendor/grpc/health/v1/health.proto",
  `${reflection}/grpc/reflection/v1/reflection.proto`,
  `${reflection}/grpc/reflection/v1alpha/reflection.proto`,
  `${xds}/envoy-api/envoy/service/auth/v3/external_auth.proto`,
];
/** Writes `bytes` to `file` and says so, only when they differ from what is there: a build with nothing new prints nothing. */
function update(file: string, bytes: Uint8Array, detail = ""): void {
  const path = join(root, file);
  if (existsSync(path) && Buffer.from(readFileSync(path)).equals(Buffer.from(bytes))) return;
  writeFileSync(path, bytes);
  console.log(`wrote ${relative(process.cwd(), path) || file}${detail}`);
}

const buf = join(dirname(require.resolve("@bufbuild/buf/package.json")), "bin/buf");
const out = "build/descriptors.binpb";
const fresh = "build/descriptors.binpb.new";
execFileSync(buf, ["build", "--exclude-source-info", "-o", fresh, ...targets.flatMap((target) => ["--path", target])], { cwd: root, stdio: "inherit" });
update(out, readFileSync(join(root, fresh)));
rmSync(join(root, fresh));

// The codec needs only the messages the served methods send and receive, and the
// types their fields reach; the full set stays for reflection. Annotation-only files
// (validate, udpa, xds, descriptor.proto) and unreached Envoy types would otherwise
// cost a generated encoder and decoder each in every server.
const SERVED = [
  "certgate.v1.CertificateValidator",
  "envoy.service.auth.v3.Authorization",
  "grpc.health.v1.Health",
  "grpc.reflection.v1.ServerReflection",
  "grpc.reflection.v1alpha.ServerReflection",
];
const full = fromBinary(FileDescriptorSetSchema, readFileSync(join(root, out)));
const types = new Map<string, DescriptorProto | EnumDescriptorProto>();
const collect = (scope: string, messages: DescriptorProto[], enums: EnumDescriptorProto[]) => {
  for (const e of enums) types.set(`${scope}.${e.name}`, e);
  for (const m of messages) {
    types.set(`${scope}.${m.name}`, m);
    collect(`${scope}.${m.name}`, m.nestedType, m.enumType);
  }
};
for (const file of full.file) collect(file.package === "" ? "" : `.${file.package}`, file.messageType, file.enumType);
const reached = new Set<string>();
const queue = full.file.flatMap((file) =>
  file.service.filter((s) => SERVED.includes(`${file.package}.${s.name}`)).flatMap((s) => s.method.flatMap((m) => [m.inputType, m.outputType])),
);
while (queue.length > 0) {
  const name = queue.pop()!;
  if (reached.has(name)) continue;
  reached.add(name);
  const type = types.get(name);
  if (type !== undefined && "field" in type) for (const field of type.field) if (field.typeName !== "") queue.push(field.typeName);
}
const keep = (scope: string, message: DescriptorProto): boolean => {
  const name = `${scope}.${message.name}`;
  message.nestedType = message.nestedType.filter((nested) => keep(name, nested));
  message.enumType = message.enumType.filter((e) => reached.has(`${name}.${e.name}`));
  message.extension = [];
  return reached.has(name) || message.nestedType.length > 0 || message.enumType.length > 0;
};
const codec = create(FileDescriptorSetSchema, {
  file: full.file.flatMap((file) => {
    const scope = file.package === "" ? "" : `.${file.package}`;
    file.messageType = file.messageType.filter((message) => keep(scope, message));
    file.enumType = file.enumType.filter((e) => reached.has(`${scope}.${e.name}`));
    file.service = file.service.filter((s) => SERVED.includes(`${file.package}.${s.name}`));
    file.extension = [];
    return file.messageType.length + file.enumType.length + file.service.length > 0 ? [file] : [];
  }),
});
const kept = new Set(codec.file.map((file) => file.name));
for (const file of codec.file) file.dependency = file.dependency.filter((dependency) => kept.has(dependency));
update("build/codec.binpb", toBinary(FileDescriptorSetSchema, codec), ` (${codec.file.length} of ${full.file.length} files, ${reached.size} types reached)`);
