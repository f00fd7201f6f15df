// CRL files (crl_files, the files of crl_dirs), read again only when they changed:
// a reload that touches one file of a directory decodes that file alone, and a file
// that no longer reads (half written, corrupt) keeps the CRLs it last had, and says
// so, exactly as a broken config reload keeps the previous configuration.
import { readFile, stat } from "node:fs/promises";
import type { Crl } from "../pki/revocation/crl.ts";
import { decodeCrlFileOffThread, type SignerKey } from "./off-thread.ts";

export interface CrlFile {
  readonly path: string;
  /** The config key that names it, for messages ("revocation.crl_files[0]", "revocation.crl_dirs"). */
  readonly where: string;
}

/** A file that did not load; `kept`: its previous CRLs stay in use. */
export interface CrlFileProblem {
  readonly path: string;
  readonly where: string;
  readonly why: "not found" | "unreadable" | "unparseable";
  readonly detail: string;
  readonly kept: boolean;
}

export interface CrlFilesLoaded {
  readonly crls: readonly Crl[];
  readonly problems: readonly CrlFileProblem[];
  /** Files decoded this time (the others were unchanged). */
  readonly decoded: readonly string[];
}

interface Loaded {
  /** What the file looked like when it was read: size, modification time, inode. */
  readonly stamp: string;
  readonly crls: readonly Crl[];
}

type Outcome = { readonly ok: true; readonly crls: Crl[] } | { readonly ok: false; readonly why: CrlFileProblem["why"]; readonly detail: string };

async function readCrls(path: string, signers: readonly SignerKey[]): Promise<Outcome> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === "ENOENT"
      ? { ok: false, why: "not found", detail: "file not found" }
      : { ok: false, why: "unreadable", detail: `cannot read (${code ?? String(error)})` };
  }
  const decoded = await decodeCrlFileOffThread(bytes, signers);
  return decoded.ok ? { ok: true, crls: [...decoded.crls] } : { ok: false, why: "unparseable", detail: decoded.why };
}

export class CrlFiles {
  readonly #loaded = new Map<string, Loaded>();

  /** Every file's CRLs, each file decoded again only if it changed since the last load. */
  async load(files: readonly CrlFile[], signers: readonly SignerKey[]): Promise<CrlFilesLoaded> {
    const crls: Crl[] = [];
    const problems: CrlFileProblem[] = [];
    const decoded: string[] = [];
    const wanted = new Set(files.map((file) => file.path));
    for (const path of this.#loaded.keys()) if (!wanted.has(path)) this.#loaded.delete(path);
    for (const file of files) {
      const previous = this.#loaded.get(file.path);
      const stamp = await stampOf(file.path);
      if (previous !== undefined && stamp === previous.stamp) {
        crls.push(...previous.crls);
        continue;
      }
      decoded.push(file.path);
      const outcome = await readCrls(file.path, signers);
      if (outcome.ok) {
        this.#loaded.set(file.path, { stamp: stamp ?? "", crls: outcome.crls });
        crls.push(...outcome.crls);
        continue;
      }
      problems.push({ path: file.path, where: file.where, why: outcome.why, detail: outcome.detail, kept: previous !== undefined });
      if (previous !== undefined) crls.push(...previous.crls);
    }
    return { crls, problems, decoded };
  }
}

async function stampOf(path: string): Promise<string | undefined> {
  try {
    const info = await stat(path);
    return `${info.size}|${info.mtimeMs}|${info.ino}`;
  } catch {
    return undefined;
  }
}
