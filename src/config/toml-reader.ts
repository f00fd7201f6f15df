// Typed reads from a parsed TOML document that collect every problem, each named by
// its dotted key, instead of stopping at the first (opa-envoy-plugin's Validate).

type Table = Record<string, unknown>;

function isTable(value: unknown): value is Table {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return "an array";
  if (value instanceof Date) return "a date";
  if (isTable(value)) return "a table";
  return `a ${typeof value}`;
}

export class TomlReader {
  readonly problems: string[] = [];
  readonly #root: Table;

  constructor(root: Table) {
    this.#root = root;
  }

  /** The table at dotted `key` (missing: empty); unknown keys in it are reported. */
  table(key: string, allowedKeys: readonly string[]): Table {
    let value: unknown = this.#root;
    for (const part of key === "" ? [] : key.split(".")) value = isTable(value) ? value[part] : undefined;
    if (value === undefined) return {};
    if (!isTable(value)) {
      this.problems.push(`${key}: must be a table, found ${describe(value)}`);
      return {};
    }
    for (const name of Object.keys(value)) {
      if (!allowedKeys.includes(name)) this.problems.push(`${key === "" ? "" : key + "."}${name}: unknown key`);
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
      for (const name of Object.keys(table)) if (!allowedKeys.includes(name)) this.problems.push(`${key}[${i}].${name}: unknown key`);
    });
    return value as Table[];
  }

  string(table: Table, path: string, fallback: string): string {
    const value = table[path.split(".").pop()!];
    if (value === undefined) return fallback;
    if (typeof value === "string") return value;
    this.problems.push(`${path}: must be a string, found ${describe(value)}`);
    return fallback;
  }

  boolean(table: Table, path: string, fallback: boolean): boolean {
    const value = table[path.split(".").pop()!];
    if (value === undefined) return fallback;
    if (typeof value === "boolean") return value;
    this.problems.push(`${path}: must be true or false, found ${describe(value)}`);
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
}
