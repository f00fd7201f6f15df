// Compiles every served proto, with all its imports, into build/descriptors.binpb
// using buf (its binary ships in the @bufbuild/buf npm package). The Envoy,
// googleapis, validate and xds trees come from @grpc/grpc-js-xds, unmodified;
// grpc.health.v1 is staged under its canonical file name from grpc-health-check.
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

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
const buf = join(dirname(require.resolve("@bufbuild/buf/package.json")), "bin/buf");
const out = "build/descriptors.binpb";
execFileSync(buf, ["build", "--exclude-source-info", "-o", out, ...targets.flatMap((target) => ["--path", target])], { cwd: root, stdio: "inherit" });
console.log(`wrote ${relative(process.cwd(), join(root, out)) || out}`);
