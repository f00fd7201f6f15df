// Guards the shape of the house (../shared/STYLE.md): no import cycles anywhere in
// src/; a pure core - pki/, forwarded/, policy/, principal/, validator/ and the
// modules they share (reason.ts, defaults.ts, lru-cache.ts) - that imports no gRPC,
// file system, logger or clock; and files short enough to read top to bottom once,
// with lines that fit on a screen.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const src = join(root, "src");
const CORE = [/^pki\//, /^forwarded\//, /^policy\//, /^principal\//, /^validator\//, /^reason\.ts$/, /^defaults\.ts$/, /^lru-cache\.ts$/];
const FORBIDDEN_IMPORTS = [
  /^@grpc\//,
  /^grpc-health-check$/,
  /^pino/,
  /^(node:)?fs(\/promises)?$/,
  /^smol-toml$/,
  /^prom-client$/,
  /^(node:)?(net|http|http2|child_process)$/,
];
const FORBIDDEN_CODE: readonly [RegExp, string][] = [
  [/\bDate\.now\(/, "Date.now(): pass the time in"],
  [/\bnew Date\(\)/, "new Date(): pass the time in"],
  [/\bprocess\.(env|argv|exit)\b/, "process globals"],
  [/\bconsole\./, "console: adapters log, the core returns values"],
];
/** A file longer than this is doing two things. */
const MAX_FILE_LINES = 400;
/** What fits on a screen beside another file. */
const MAX_LINE_LENGTH = 160;
/** The folders whose files the length limits hold to. */
const MEASURED = ["src", "scripts"];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith(".ts") ? [path] : [];
  });
}

function importsOf(text: string): string[] {
  return [...text.matchAll(/^\s*(?:import|export)\s[^;]*?from\s+"([^"]+)"|^\s*import\s+"([^"]+)"/gm)].map((m) => (m[1] ?? m[2])!);
}

const problems: string[] = [];

function checkCore(name: string, file: string, text: string): void {
  for (const specifier of importsOf(text)) {
    if (FORBIDDEN_IMPORTS.some((pattern) => pattern.test(specifier))) problems.push(`${name}: the core must not import ${specifier}`);
    if (!specifier.startsWith(".")) continue;
    const target = relative(src, resolve(dirname(file), specifier));
    if (!CORE.some((pattern) => pattern.test(target))) problems.push(`${name}: the core must not import the adapter ${target}`);
  }
  const code = text.replace(/\/\/.*$/gm, "");
  for (const [pattern, why] of FORBIDDEN_CODE) if (pattern.test(code)) problems.push(`${name}: ${why}`);
}

function checkLengths(name: string, text: string): void {
  const lines = text.split("\n");
  if (lines.length > MAX_FILE_LINES) problems.push(`${name}: ${lines.length} lines; split it (at most ${MAX_FILE_LINES})`);
  lines.forEach((line, i) => {
    if (line.length > MAX_LINE_LENGTH) problems.push(`${name}:${i + 1}: ${line.length} characters (at most ${MAX_LINE_LENGTH})`);
  });
}

const graph = new Map<string, string[]>();
for (const file of sourceFiles(src)) {
  const name = relative(src, file);
  const text = readFileSync(file, "utf8");
  graph.set(
    name,
    importsOf(text)
      .filter((s) => s.startsWith("."))
      .map((s) => relative(src, resolve(dirname(file), s))),
  );
  if (CORE.some((pattern) => pattern.test(name))) checkCore(name, file, text);
}
for (const folder of MEASURED) for (const file of sourceFiles(join(root, folder))) checkLengths(relative(root, file), readFileSync(file, "utf8"));

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
console.log(`architecture check: ${graph.size} files, no cycles, core is pure, files <= ${MAX_FILE_LINES} lines of <= ${MAX_LINE_LENGTH} characters`);
