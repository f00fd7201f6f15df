// docs/conformance.md documents every profile rule by its id: the ids are part of the API.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { it } from "node:test";
import { CRL_NUMBER_MISSING, PROFILE_RULES } from "../../../src/pki/path/profile.ts";

it("docs/conformance.md has a row for every profile rule", () => {
  const page = readFileSync(new URL("../../../docs/conformance.md", import.meta.url), "utf8");
  for (const rule of [...PROFILE_RULES, CRL_NUMBER_MISSING])
    assert.match(page, new RegExp(`\\| \`${rule.id}\` \\| ${rule.section.replace(/\./g, "\\.")} \\|`), rule.id);
});
