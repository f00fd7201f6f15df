// Every link between the project's documents resolves: the file exists, and an anchor
// names a heading of it (GitHub's slugs). A page moved or a heading renamed breaks this.
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const DOCUMENTS = ["README.md", "deploy/kubernetes/README.md", ...readdirSync(join(ROOT, "docs")).map((name) => `docs/${name}`)].filter((file) =>
  file.endsWith(".md"),
);

/** GitHub's heading anchor: lower case, punctuation but "-" and "_" dropped, spaces to "-". */
export function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");
}

function withoutCode(text: string): string {
  return text.replace(/^```[\s\S]*?^```/gm, "");
}

function anchorsOf(file: string): Set<string> {
  const headings = withoutCode(readFileSync(file, "utf8")).match(/^#{1,6} .*$/gm) ?? [];
  return new Set(headings.map((line) => slug(line.replace(/^#+ /, ""))));
}

describe("links between documents", () => {
  it("has the documents it checks, README.md first", () => {
    assert.ok(DOCUMENTS.length >= 12, DOCUMENTS.join(", "));
    assert.ok(statSync(join(ROOT, "README.md")).size < 12 * 1024, "README.md is a front page (under 12 KB)");
  });

  for (const document of DOCUMENTS) {
    it(`resolves every link of ${document}`, () => {
      const text = withoutCode(readFileSync(join(ROOT, document), "utf8")).replace(/`[^`\n]*`/g, "");
      const broken: string[] = [];
      for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^(https?:|mailto:)/.test(target!)) continue;
        const [path, anchor] = target!.split("#") as [string, string | undefined];
        const file = path === "" ? join(ROOT, document) : resolve(dirname(join(ROOT, document)), path);
        if (!existsSync(file)) {
          broken.push(`${target}: no ${relative(ROOT, file)}`);
          continue;
        }
        if (anchor !== undefined && !anchorsOf(file).has(anchor)) broken.push(`${target}: no heading #${anchor} in ${relative(ROOT, file)}`);
      }
      assert.deepEqual(broken, []);
    });
  }
});
