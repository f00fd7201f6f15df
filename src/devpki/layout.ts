// Where the dev PKI lives and what it is called: all the server needs to know about
// it, without loading the generator (and @peculiar/x509) on every start.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const DEV_PKI_DIR = fileURLToPath(new URL("../../certs/dev", import.meta.url));
export const DEV_INTERMEDIATE_CN = "certgate-dev-intermediate";
/** The intermediate not in cert_cns; the built-in default maps its clients for the exempt contexts. */
export const DEV_ROGUE_INTERMEDIATE_DN = "CN=rogue-intermediate,O=certgate";
/** Its presence means the dev PKI was generated. */
export const DEV_ROOT_FILE = "root-ca.pem";

export function devPkiPresent(dir: string): boolean {
  return existsSync(join(dir, DEV_ROOT_FILE));
}
