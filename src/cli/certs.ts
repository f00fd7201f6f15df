// `certgate certs [--out DIR] [--force]`: write the dev PKI.
import { parseArgs } from "node:util";
import { fileProblem } from "../config/input-file.ts";
import { ensureDevPki, writeDevPki } from "../devpki/dev-pki.ts";
import { CERTS_USAGE } from "./usage.ts";

export async function certsCommand(
  args: readonly string[],
  defaultDir: string,
  print: (text: string) => void,
  printError: (text: string) => void,
): Promise<number> {
  let values: { out?: string | undefined; force?: boolean | undefined };
  try {
    values = parseArgs({ args: [...args], options: { out: { type: "string" }, force: { type: "boolean" } } }).values;
  } catch (error) {
    printError(`certgate certs: ${(error as Error).message}\n${CERTS_USAGE}\n`);
    return 2;
  }
  const dir = values.out ?? defaultDir;
  try {
    if (values.force === true) {
      await writeDevPki(dir, new Date());
      print(`wrote a new dev PKI to ${dir}\n`);
      return 0;
    }
    const { generated } = await ensureDevPki(dir, new Date());
    print(generated ? `wrote the dev PKI to ${dir}\n` : `dev PKI already present in ${dir} (use --force to replace it)\n`);
    return 0;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === undefined) throw error;
    printError(`certgate certs: --out ${dir}: ${fileProblem(error, "write")}\n`);
    return 2;
  }
}
