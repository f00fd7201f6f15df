// Debounced watching of the files a config depends on. Directories are watched,
// not files: editors and Kubernetes ConfigMap updates replace files (rename, symlink
// swap of "..data"), which a watch on the old file would miss.
import { watch, type FSWatcher } from "node:fs";
import { basename, dirname } from "node:path";

export interface FileWatch {
  close(): void;
}

/** `directories`: watched whole (a new CRL dropped into crl_dirs counts). */
export function watchFiles(paths: readonly string[], debounceMs: number, onChange: () => void, directories: readonly string[] = []): FileWatch {
  const byDirectory = new Map<string, Set<string> | "all">();
  for (const directory of directories) byDirectory.set(directory, "all");
  for (const path of paths) {
    const names = byDirectory.get(dirname(path)) ?? new Set<string>();
    if (names === "all") continue;
    names.add(basename(path));
    byDirectory.set(dirname(path), names);
  }
  let timer: NodeJS.Timeout | undefined;
  const schedule = () => {
    clearTimeout(timer);
    timer = setTimeout(onChange, debounceMs);
  };
  const watchers: FSWatcher[] = [];
  for (const [directory, names] of byDirectory) {
    try {
      const watcher = watch(directory, { persistent: false }, (_event, name) => {
        if (name === null || names === "all" || names.has(name) || name === "..data") schedule();
      });
      watcher.on("error", () => undefined); // a vanished directory: SIGHUP still reloads
      watchers.push(watcher);
    } catch {
      // Unwatchable directory: SIGHUP remains the way to reload.
    }
  }
  return {
    close() {
      clearTimeout(timer);
      for (const watcher of watchers) watcher.close();
    },
  };
}
