// Typed reads from a parsed TOML document that collect every problem, each named by
// its dotted key, instead of stopping at the first (opa-envoy-plugin's Validate).
// deployment.toml is shared with WSO2 Identity Server: what certgate does not use is
// set aside and listed (`ignored`), never an error, unless it is so near a key
// certgate owns that it must be a slip, which is an error naming the key meant.
import { nearestKey } from "./nearest-key.ts";

type Table = Record<string, unknown>;

function isTable(value: unknown): value is Table {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

function isTableArray(value: unknown): value is Table[] {
  return Array.isArray(value) && value.length > 0 && value.every(isTable);
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return "an array";
  if (value instanceof Date) return "a date";
  if (isTable(value)) return "a table";
  return `a ${typeof value}`;
}

/** Every table of `value` that holds a value of its own, by dotted name: what an ignored table consisted of. */
function leafTables(name: string, value: unknown): string[] {
  if (isTableArray(value)) return [`[[${name}]]`];
  if (!isTable(value)) return [name];
  const children = Object.entries(value);
  const own = children.some(([, child]) => !isTable(child) && !isTableArray(child));
  return [...(own ? [name] : []), ...children.flatMap(([key, child]) => (isTable(child) || isTableArray(child) ? leafTables(`${name}.${key}`, child) : []))];
}

export interface TableOptions {
  /**
   * WSO2 keeps its own keys in this table too ([server], [truststore], [tenant_mgt]):
   * a key certgate does not know is WSO2's and ignored, unless it is near a key of
   * certgate's.
   */
  readonly shared?: boolean;
}

export class TomlReader {
  readonly problems: string[] = [];
  /** Tables and keys of the document certgate does not use, dotted. */
  readonly ignored: string[] = [];
  /** What is valid but worth a line at start (a rule that can never match). */
  readonly warnings: string[] = [];
  /** Dotted keys and tables a slip was taken for: problems about them are knock-on and left unsaid. */
  readonly meant: string[] = [];
  readonly #root: Table;

  constructor(root: Table) {
    this.#root = root;
  }

  /** The top level: tables certgate owns are read by `table`; any other is ignored, unless it is a slip for one of them. */
  topLevel(owned: readonly string[]): void {
    for (const [name, value] of Object.entries(this.#root)) {
      if (owned.includes(name)) continue;
      const meant = nearestKey(name, owned);
      if (meant !== undefined) {
        this.problems.push(`${name}: unknown table; did you mean [${meant}]?`);
        this.meant.push(meant);
      } else this.ignored.push(...leafTables(name, value));
    }
  }

  /** The table at dotted `key` (missing: empty); unknown keys in it are reported (or, shared, ignored). */
  table(key: string, allowedKeys: readonly string[], options: TableOptions = {}): Table {
    let value: unknown = this.#root;
    for (const part of key.split(".")) value = isTable(value) ? value[part] : undefined;
    if (value === undefined) return {};
    if (!isTable(value)) {
      this.problems.push(`${key}: must be a table, found ${describe(value)}`);
      return {};
    }
    for (const name of Object.keys(value)) {
      if (!allowedKeys.includes(name)) this.#unknown(`${key}.${name}`, name, allowedKeys, value[name], options.shared === true);
    }
    return value;
  }

  /** The array of tables at dotted `key` (missing: empty), each checked for unknown keys. */
  tableArray(key: string, allowedKeys: readonly string[]): Table[] {
    let value: unknown = this.#root;
    for (const part of key.split(".")) value = isTable(value) ? value[part] : undefined;
    if (value === undefined) return [];
    if (!Array.isArray(value) || !value.every(isTable)) {
      this.problems.push(`${key}: must be an array of tables ([[${key}]]), found ${describe(value)}`);
      return [];
    }
    value.forEach((table: Table, i) => {
      for (const name of Object.keys(table)) if (!allowedKeys.includes(name)) this.#unknown(`${key}[${i}].${name}`, name, allowedKeys, table[name], false);
    });
    return value as Table[];
  }

  #unknown(path: string, name: string, allowedKeys: readonly string[], value: unknown, shared: boolean): void {
    const meant = nearestKey(name, allowedKeys, shared ? 2 : 3);
    if (shared && meant === undefined) {
      this.ignored.push(...leafTables(path, value));
      return;
    }
    this.problems.push(`${path}: unknown key${meant === undefined ? "" : `; did you mean ${meant}?`}`);
    if (meant !== undefined) this.meant.push(`${path.slice(0, path.length - name.length)}${meant}`);
  }

  /** `problems` without those about a key or table a slip was taken for (they follow from the slip). */
  withoutKnockOns(problems: readonly string[]): string[] {
    return problems.filter((problem) => !this.meant.some((key) => [":", ".", "["].some((after) => problem.startsWith(key + after))));
  }

  string(table: Table, path: string, fallback: string): string {
    const value = table[path.split(".").pop()!];
    if (value === undefined) return fallback;
    if (typeof value === "string") return value;
    this.problems.push(`${path}: must be a string, found ${describe(value)}`);
    return fallback;
  }

  /** true or false; WSO2's samples also write "true" and "false" as strings, so those are read too. */
  boolean(table: Table, path: string, fallback: boolean): boolean {
    const value = table[path.split(".").pop()!];
    if (value === undefined) return fallback;
    if (typeof value === "boolean") return value;
    const text = typeof value === "string" ? value.trim().toLowerCase() : undefined;
    if (text === "true" || text === "false") return text === "true";
    this.problems.push(`${path}: must be true or false, found ${typeof value === "string" ? JSON.stringify(value) : describe(value)}`);
    return fallback;
  }

  integer(table: Table, path: string, fallback: number, range: { min: number; max: number }): number {
    const value = table[path.split(".").pop()!];
    if (value === undefined) return fallback;
    const number = typeof value === "bigint" ? Number(value) : value;
    if (typeof number !== "number" || !Number.isInteger(number)) {
      this.problems.push(`${path}: must be an integer, found ${describe(value)}`);
      return fallback;
    }
    if (number < range.min || number > range.max) {
      this.problems.push(`${path}: must be between ${range.min} and ${range.max}, found ${number}`);
      return fallback;
    }
    return number;
  }

  stringArray(table: Table, path: string, fallback: readonly string[]): readonly string[] {
    const value = table[path.split(".").pop()!];
    if (value === undefined) return fallback;
    if (!Array.isArray(value)) {
      this.problems.push(`${path}: must be an array of strings, found ${describe(value)}`);
      return fallback;
    }
    const out: string[] = [];
    value.forEach((item: unknown, i) => {
      if (typeof item === "string") out.push(item);
      else this.problems.push(`${path}[${i}]: must be a string, found ${describe(item)}`);
    });
    return out;
  }

  /** An array of strings, or one comma-separated string, as WSO2's templates render some lists ("a, b"). */
  list(table: Table, path: string, fallback: readonly string[]): readonly string[] {
    const value = table[path.split(".").pop()!];
    if (typeof value !== "string") return this.stringArray(table, path, fallback);
    return value
      .split(",")
      .map((item) => item.trim())
      .filter((item) => item !== "");
  }
}
