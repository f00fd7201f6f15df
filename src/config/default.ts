// The embedded default: what `npm start` runs with no config file. It trusts the
// dev PKI under certs/dev (generated on first run), so it is for trying certgate
// out, never for production.
import { DEV_INTERMEDIATE_CN } from "../devpki/layout.ts";
import type { Config } from "./config.ts";
import { parseConfig } from "./load.ts";

export function defaultConfigToml(devDir: string): string {
  return `[server]
listen = "127.0.0.1:50051"
max_chain_length = 8

[truststore]
ca_files = [${JSON.stringify(devDir + "/root-ca.pem")}]

[intermediate_cert_validation]
enable = true
cert_cns = ["${DEV_INTERMEDIATE_CN}"]
exempt_contexts = ["/scim2", "/api/identity/oauth2/dcr"]

[tenant]
email_username = false

[revocation]
mode = "soft_fail"
crl_files = [${["root-ca", "intermediate-ca", "rogue-intermediate-ca"].map((name) => JSON.stringify(`${devDir}/${name}.crl`)).join(", ")}]
`;
}

export function defaultConfig(devDir: string): Config {
  return parseConfig(defaultConfigToml(devDir), "built-in default", devDir);
}
