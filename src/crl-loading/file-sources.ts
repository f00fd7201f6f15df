// CRL files (crl_files, the files of crl_dirs), read again only when they changed:
// a reload that touches one file of a directory decodes that file alone, and a file
// that no longer reads (half written, corrupt) keeps the CRLs it last had, and says
// so, exactly as a broken config reload keeps the previous configuration. A large file
// is read by the worker that decodes it, so its bytes never reach the event loop's heap.
import { readFile, stat } from "node:fs/promises";
import type { Crl } from "../pki/revocation/crl.ts";
import { OFF_THREAD_BYTES, decodeCrlFileOffThread, decodeLargeCrlFile, type DecodedCrlFile, type SignerKey } from "./off-thread.ts";

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

type Outcome = { readonly ok: true; readonly crls: readonly Crl[] } | { readonly ok: false; readonly why: CrlFileProblem["why"]; readonly detail: string };

async function decodeFile(path: string, size: number, signers: readonly SignerKey[]): Promise<DecodedCrlFile> {
  if (size >= OFF_THREAD_BYTES) return decodeLargeCrlFile(path, signers);
  return decodeCrlFileOffThread(await readFile(path), signers);
}

async function readCrls(path: string, signers: readonly SignerKey[]): Promise<Outcome & { readonly stamp?: string }> {
  try {
    const info = await stat(path);
    const decoded = await decodeFile(path, info.size, signers);
    const stamp = `${info.size}|${info.mtimeMs}|${info.ino}`;
    return decoded.ok ? { ok: true, crls: decoded.crls, stamp } : { ok: false, why: "unparseable", detail: decoded.why };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return { ok: false, why: "not found", detail: "file not found" };
    return { ok: false, why: "unreadable", detail: `cannot read (${code ?? String(error)})` };
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
      if (previous !== undefined && (await stampOf(file.path)) === previous.stamp) {
        crls.push(...previous.crls);
        continue;
      }
      decoded.push(file.path);
      const outcome = await readCrls(file.path, signers);
      if (outcome.ok) {
        this.#loaded.set(file.path, { stamp: outcome.stamp ?? "", crls: outcome.crls });
        crls.push(...outcome.crls);
        continue;
      }
      problems.push({ path: file.path, where: file.where, why: outcome.why, detail: outcome.detail, kept: previous !== undefined });
      if (previous !== undefined) crls.push(...previous.crls);
    }
    return { crls, problems, decoded };
  }
}
