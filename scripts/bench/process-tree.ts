// CPU time and memory of a process and everything it forked (a cluster primary and its
// workers), read from /proc: the figure to divide calls by is every server process's CPU.
import { readdirSync, readFileSync } from "node:fs";

/** Clock ticks per second of /proc/<pid>/stat's utime and stime (USER_HZ, 100 on Linux). */
const TICKS = 100;

interface ProcStat {
  readonly pid: number;
  readonly parent: number;
  readonly cpuMicros: number;
  readonly rssBytes: number;
}

function stat(pid: number): ProcStat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
    return {
      pid,
      parent: Number(fields[1]),
      cpuMicros: ((Number(fields[11]) + Number(fields[12])) * 1e6) / TICKS,
      rssBytes: Number(fields[21]) * 4096,
    };
  } catch {
    return undefined;
  }
}

/** `root` and its descendants, as they are now. */
export function processTree(root: number): ProcStat[] {
  const all = readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name))
    .flatMap((name) => stat(Number(name)) ?? []);
  const tree: ProcStat[] = [];
  const add = (pid: number) => {
    const own = all.find((entry) => entry.pid === pid);
    if (own === undefined) return;
    tree.push(own);
    for (const child of all.filter((entry) => entry.parent === pid)) add(child.pid);
  };
  add(root);
  return tree;
}
