// The embedded default: what `npm start` runs with no config file. It trusts the
// dev PKI under certs/dev (generated on first run), so it is for trying certgate
// out, never for production. Only what differs from the defaults table is written.
import { DEV_INTERMEDIATE_CN, DEV_ROGUE_INTERMEDIATE_DN } from "../devpki/layout.ts";
import type { Config } from "./config.ts";
import { parseConfig } from "./load.ts";

export function defaultConfigToml(devDir: string): string {
  const crls = ["root-ca", "intermediate-ca", "rogue-intermediate-ca"].map((name) => JSON.stringify(`${devDir}/${name}.crl`));
  return `[truststore]
ca_files = [${JSON.stringify(devDir + "/root-ca.pem")}]

[intermediate_cert_validation]
cert_cns = ["${DEV_INTERMEDIATE_CN}"]
exempt_contexts = ["/scim2", "/api/identity/oauth2/dcr"]

[revocation]
crl_files = [${crls.join(", ")}]

# WSO2 IS 7.2: in the exempt contexts a certificate authenticates only through a mapping.
# The rogue intermediate's clients may call them as themselves, or on behalf of admin.
[client_certificate_based_authentication]
enable = true
[[client_certificate_based_authentication.user_thumbprint_mapping]]
trusted_issuer = "${DEV_ROGUE_INTERMEDIATE_DN}"
cert_thumbprint = "*"
allowed_username = ["admin"]
[[client_certificate_based_authentication.system_thumbprint_mapping]]
trusted_issuer = "${DEV_ROGUE_INTERMEDIATE_DN}"
cert_thumbprint = "*"
allowed_system_user = "*"
`;
}

export function defaultConfig(devDir: string): Config {
  return parseConfig(defaultConfigToml(devDir), "built-in default", devDir);
}
