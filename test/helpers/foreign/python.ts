// Python with the `cryptography` package (Debian's python3-cryptography, which .ci/run
// installs), for certificates made the way Python users make them.
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const CANDIDATES = ["python3", "/usr/bin/python3"];

/** The first Python that imports cryptography; throws with the fix when none does. */
export function pythonWithCryptography(): string {
  for (const python of CANDIDATES) {
    try {
      execFileSync(python, ["-c", "import cryptography"], { stdio: "ignore" });
      return python;
    } catch {
      // try the next one
    }
  }
  throw new Error("no python3 with the cryptography package: apt-get install python3-cryptography (.ci/run does)");
}

/** Runs a script of test/helpers/foreign/ with `args`. */
export function runPython(script: string, args: readonly string[]): void {
  execFileSync(pythonWithCryptography(), [fileURLToPath(new URL(script, import.meta.url)), ...args], { stdio: ["ignore", "ignore", "pipe"] });
}
