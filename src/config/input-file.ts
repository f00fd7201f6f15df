// Reading a file someone named (in the configuration or on the command line), with
// one wording for what goes wrong, wherever it is named: "file not found",
// "permission denied", "is a directory, not a file", "the file is empty", never a bare
// ENOENT.
import { readFileSync } from "node:fs";

export type InputFile = { readonly ok: true; readonly bytes: Buffer } | { readonly ok: false; readonly problem: string };

const PROBLEMS: Readonly<Record<string, string>> = {
  ENOENT: "file not found",
  ENOTDIR: "not found: a part of the path is a file, not a directory",
  EEXIST: "exists, and is not a directory",
  EACCES: "permission denied",
  EPERM: "permission denied",
  EISDIR: "is a directory, not a file",
};

/** What went wrong reading (or writing) a file, in the configuration's words. */
export function fileProblem(error: unknown, doing: "read" | "write" = "read"): string {
  const code = (error as NodeJS.ErrnoException).code;
  return (code !== undefined ? PROBLEMS[code] : undefined) ?? `cannot ${doing} it (${code ?? String(error)})`;
}

export function readInputFile(path: string, options: { readonly allowEmpty?: boolean } = {}): InputFile {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    return { ok: false, problem: fileProblem(error) };
  }
  if (bytes.length === 0 && options.allowEmpty !== true) return { ok: false, problem: "the file is empty" };
  return { ok: true, bytes };
}
