// Every file named on the command line, when it cannot be used, is said in the
// configuration's words (file not found, permission denied, the file is empty, is a
// directory), with exit code 2: never a bare ENOENT, never a stack trace.
import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { writeDevPki } from "../../src/devpki/dev-pki.ts";
import { runCertgate } from "../helpers/cli-process.ts";

const dir = mkdtempSync(join(tmpdir(), "certgate-file-errors-"));
const pki = join(dir, "pki");
const missing = join(dir, "missing.pem");
const empty = join(dir, "empty.pem");
const aFile = join(dir, "a-file");

/** A file this process may not read: root reads any regular file, so as root a procfs entry that is write-only for everyone. */
function unreadable(): string {
  if (process.getuid?.() === 0) return "/proc/sys/vm/compact_memory";
  const path = join(dir, "unreadable.pem");
  writeFileSync(path, "x");
  chmodSync(path, 0o000);
  return path;
}

before(async () => {
  await writeDevPki(pki, new Date());
  writeFileSync(empty, "");
  writeFileSync(aFile, "not a directory");
});

describe("file arguments of the commands", () => {
  const leaf = () => join(pki, "client-john.pem");
  const ca = () => join(pki, "root-ca.pem");
  const cases: [string, () => string[], RegExp][] = [
    ["verify --ca, missing", () => ["verify", "--ca", missing, leaf()], /--ca \S+missing\.pem: file not found/],
    ["verify --ca, unreadable", () => ["verify", "--ca", unreadable(), leaf()], /--ca \S+: permission denied/],
    ["verify --ca, empty", () => ["verify", "--ca", empty, leaf()], /--ca \S+empty\.pem: the file is empty/],
    ["verify --ca, a directory", () => ["verify", "--ca", dir, leaf()], /--ca \S+: is a directory, not a file/],
    ["verify --untrusted, missing", () => ["verify", "--ca", ca(), "--untrusted", missing, leaf()], /--untrusted \S+: file not found/],
    ["verify --untrusted, empty", () => ["verify", "--ca", ca(), "--untrusted", empty, leaf()], /--untrusted \S+: the file is empty/],
    ["verify --crl, missing", () => ["verify", "--ca", ca(), "--crl", missing, leaf()], /--crl \S+: file not found/],
    ["verify --crl, unreadable", () => ["verify", "--ca", ca(), "--crl", unreadable(), leaf()], /--crl \S+: permission denied/],
    ["verify --config, missing", () => ["verify", "--config", missing, leaf()], /missing\.pem\):\n {2}- file not found/],
    ["verify --config, empty", () => ["verify", "--config", empty, leaf()], /empty\.pem\):\n {2}- the file is empty/],
    ["verify LEAF_FILE, missing", () => ["verify", "--ca", ca(), missing], /LEAF_FILE \S+: file not found/],
    ["verify LEAF_FILE, empty", () => ["verify", "--ca", ca(), empty], /LEAF_FILE \S+: the file is empty/],
    ["verify LEAF_FILE, unreadable", () => ["verify", "--ca", ca(), unreadable()], /LEAF_FILE \S+: permission denied/],
    ["check --config, missing", () => ["check", "--config", missing], /- file not found/],
    ["check --config, unreadable", () => ["check", "--config", unreadable()], /- permission denied/],
    ["check --config, empty", () => ["check", "--config", empty], /- the file is empty/],
    ["serve --config, missing", () => ["serve", "--config", missing], /- file not found/],
    ["certs --out, under a file", () => ["certs", "--out", join(aFile, "dev")], /--out \S+: not found: a part of the path is a file/],
    ["certs --out, a file", () => ["certs", "--out", aFile], /--out \S+: exists, and is not a directory/],
  ];
  for (const [name, args, message] of cases) {
    it(`${name}: said plainly, exit 2`, async () => {
      const result = await runCertgate(args());
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, message);
      assert.doesNotMatch(result.stderr, /\bE[A-Z]{4,}\b|    at /, "no bare error code, no stack trace");
    });
  }
});
