// Guards the shape of the house (../shared/STYLE.md): no import cycles anywhere in
// src/, and a pure core - pki/, policy/, principal/, validator/, reason.ts and
// the helpers they use - that imports no gRPC, file system, logger or clock.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const src = fileURLToPath(new URL("../src", import.meta.url));
const CORE = [/^pki\//, /^forwarded\//, /^policy\//, /^principal\//, /^validator\//, /^reason\.ts$/, /^lru-cache\.ts$/];
const FORBIDDEN_IMPORTS = [/^@grpc\//, /^grpc-health-check$/, /^pino/, /^(node:)?fs(\/promises)?$/, /^smol-toml$/, /^prom-client$/, /^(node:)?(net|http|http2|child_process)$/];
const FORBIDDEN_CODE: readonly [RegExp, string][] = [
  [/\bDate\.now\(/, "Date.now(): pass the time in"],
  [/\bnew Date\(\)/, "new Date(): pass the time in"],
  [/\bprocess\.(env|argv|exit)\b/, "process globals"],
  [/\bconsole\./, "console: adapters log, the core returns values"],
];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith(".ts") ? [path] : [];
  });
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  return [...text.matchAll(/^\s*(?:import|export)\s[^;]*?from\s+"([^"]+)"|^\s*import\s+"([^"]+)"/gm)].map((m) => (m[1] ?? m[2])!);
}

const problems: string[] = [];
const graph = new Map<string, string[]>();
for (const file of sourceFiles(src)) {
  const name = relative(src, file);
  const specifiers = importsOf(file);
  graph.set(name, specifiers.filter((s) => s.startsWith(".")).map((s) => relative(src, resolve(dirname(file), s))));
  if (!CORE.some((pattern) => pattern.test(name))) continue;
  for (const specifier of specifiers) {
    if (FORBIDDEN_IMPORTS.some((pattern) => pattern.test(specifier))) problems.push(`${name}: the core must not import ${specifier}`);
    if (specifier.startsWith(".")) {
      const target = relative(src, resolve(dirname(file), specifier));
      if (!CORE.some((pattern) => pattern.test(target))) problems.push(`${name}: the core must not import the adapter ${target}`);
    }
  }
  const code = readFileSync(file, "utf8").replace(/\/\/.*$/gm, "");
  for (const [pattern, why] of FORBIDDEN_CODE) if (pattern.test(code)) problems.push(`${name}: ${why}`);
}

// Depth-first search for back edges: each one closes a cycle.
const state = new Map<string, "visiting" | "done">();
function visit(node: string, stack: string[]): void {
  state.set(node, "visiting");
  for (const next of graph.get(node) ?? []) {
    if (state.get(next) === "visiting") problems.push(`import cycle: ${[...stack.slice(stack.indexOf(next)), next].join(" -> ")}`);
    else if (state.get(next) === undefined) visit(next, [...stack, next]);
  }
  state.set(node, "done");
}
for (const node of graph.keys()) if (state.get(node) === undefined) visit(node, [node]);

if (problems.length > 0) {
  console.error(`architecture check failed:\n  ${problems.join("\n  ")}`);
  process.exit(1);
}
console.log(`architecture check: ${graph.size} files, no cycles, core is pure`);
