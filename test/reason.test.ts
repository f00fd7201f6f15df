// The reason codes are API: the proto enum, the table in docs/api.md and httpStatusFor must agree.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { fromBinary } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { REASONS, httpStatusFor } from "../src/reason.ts";
import { descriptors } from "./helpers/server.ts";

describe("reason codes", () => {
  it("match the proto enum certgate.v1.Reason, in order, after REASON_UNSPECIFIED", () => {
    const file = fromBinary(FileDescriptorSetSchema, descriptors.set).file.find((f) => f.name === "certgate/v1/certgate.proto")!;
    const values = file.enumType.find((e) => e.name === "Reason")!.value;
    assert.deepEqual(
      values.map((v) => [v.name, v.number]),
      [["REASON_UNSPECIFIED", 0], ...REASONS.map((r, i) => [r, i + 1])],
    );
  });

  it("are each documented once in the docs/api.md table with their HTTP status", () => {
    const readme = readFileSync(new URL("../docs/api.md", import.meta.url), "utf8");
    const rows = [...readme.matchAll(/^\| `([A-Z_]+)` \| (\d{3}) \|/gm)].map((m) => [m[1], Number(m[2])]);
    assert.deepEqual(
      rows,
      REASONS.map((r) => [r, httpStatusFor(r)]),
    );
  });
});
