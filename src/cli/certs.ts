// `certgate certs [--out DIR] [--force]`: write the dev PKI.
import { parseArgs } from "node:util";
import { ensureDevPki, writeDevPki } from "../devpki/dev-pki.ts";

export async function certsCommand(args: readonly string[], defaultDir: string, print: (text: string) => void): Promise<number> {
  const { values } = parseArgs({ args: [...args], options: { out: { type: "string" }, force: { type: "boolean" } } });
  const dir = values.out ?? defaultDir;
  if (values.force === true) {
    await writeDevPki(dir, new Date());
    print(`wrote a new dev PKI to ${dir}\n`);
    return 0;
  }
  const { generated } = await ensureDevPki(dir, new Date());
  print(generated ? `wrote the dev PKI to ${dir}\n` : `dev PKI already present in ${dir} (use --force to replace it)\n`);
  return 0;
}
