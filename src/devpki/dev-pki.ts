// The dev PKI that `npm start` and `certgate certs` write to certs/dev/: a root, the
// allowed and a rogue intermediate, one client per CN format and per defect, a
// server certificate for the gRPC port and a caller certificate for grpcurl; and two
// SPIFFE trust domains with their SVIDs (spiffe.ts).
import { chmod, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Authority, OID_CLIENT_AUTH, OID_SERVER_AUTH, type IssueOptions, type Issued } from "./ca.ts";
import { DEV_INTERMEDIATE_CN, devPkiPresent } from "./layout.ts";
import { issueCrl } from "./revocation.ts";
import { DEV_TRUST_DOMAIN, PARTNER_TRUST_DOMAIN, devTrustDomains, spiffeBundleJson } from "./spiffe.ts";
import { KeyUsageFlags, X509CrlReason } from "./x509.ts";

const DAY = 24 * 60 * 60 * 1000;

interface Output {
  readonly name: string;
  readonly issued: Issued;
  /** Certificates written after the leaf in the same file, so the file is a chain. */
  readonly chain: readonly Authority[];
  readonly purpose: string;
}

function window(now: Date, fromDays: number, toDays: number): { notBefore: Date; notAfter: Date } {
  return { notBefore: new Date(now.getTime() + fromDays * DAY), notAfter: new Date(now.getTime() + toDays * DAY) };
}

async function clients(now: Date, root: Authority, intermediate: Authority, rogue: Authority, untrusted: Authority): Promise<Output[]> {
  const valid = window(now, -1, 365);
  const client = (issuer: Authority, cn: string, extra: Partial<IssueOptions> = {}) => issuer.client({ subject: `CN=${cn}, O=certgate`, ...valid, ...extra });
  const selfSigned = await Authority.root({
    subject: "CN=self-signed-client, O=certgate",
    ...valid,
    ca: false,
    keyUsage: KeyUsageFlags.digitalSignature,
    extendedKeyUsage: [OID_CLIENT_AUTH],
  });
  return [
    { name: "client-john", issued: await client(intermediate, "john"), chain: [intermediate], purpose: "CN john: PRIMARY user in carbon.super" },
    { name: "client-secondary-john", issued: await client(intermediate, "SECONDARY/john"), chain: [intermediate], purpose: "user store SECONDARY" },
    { name: "client-john-tenant", issued: await client(intermediate, "john@tenant.com"), chain: [intermediate], purpose: "tenant tenant.com" },
    {
      name: "client-secondary-john-tenant",
      issued: await client(intermediate, "SECONDARY/john@tenant.com"),
      chain: [intermediate],
      purpose: "user store and tenant",
    },
    { name: "client-rogue", issued: await client(rogue, "mallory"), chain: [rogue], purpose: "issued by rogue-intermediate: INTERMEDIATE_CN_NOT_ALLOWED" },
    { name: "client-expired", issued: await client(intermediate, "expired", window(now, -60, -1)), chain: [intermediate], purpose: "CERTIFICATE_EXPIRED" },
    {
      name: "client-not-yet-valid",
      issued: await client(intermediate, "not-yet-valid", window(now, 30, 365)),
      chain: [intermediate],
      purpose: "CERTIFICATE_NOT_YET_VALID",
    },
    {
      name: "client-server-auth-only",
      issued: await client(intermediate, "server-auth-only", { extendedKeyUsage: [OID_SERVER_AUTH] }),
      chain: [intermediate],
      purpose: "EXTENDED_KEY_USAGE_INVALID",
    },
    { name: "client-self-signed", issued: selfSigned.issued, chain: [], purpose: "SELF_SIGNED_CERTIFICATE" },
    {
      name: "client-untrusted-root",
      issued: await client(untrusted, "untrusted"),
      chain: [],
      purpose: "issued by a root certgate does not trust: PATH_NOT_FOUND",
    },
    { name: "client-revoked", issued: await client(intermediate, "revoked"), chain: [intermediate], purpose: "listed in intermediate-ca.crl: REVOKED" },
    {
      name: "caller",
      issued: await client(intermediate, "certgate-caller", { dnsNames: ["certgate-caller"] }),
      chain: [intermediate],
      purpose: "a caller of certgate's own port (grpcurl -cert)",
    },
    {
      name: "server",
      issued: await root.issue({
        subject: "CN=localhost, O=certgate",
        ...valid,
        ca: false,
        keyUsage: KeyUsageFlags.digitalSignature,
        extendedKeyUsage: [OID_SERVER_AUTH],
        dnsNames: ["localhost"],
        ipAddresses: ["127.0.0.1"],
      }),
      chain: [],
      purpose: "certgate's own TLS server certificate",
    },
  ];
}

async function writeCrls(dir: string, now: Date, crls: readonly { file: string; ca: Authority; revoked: readonly Issued[] }[]): Promise<void> {
  const validity = { thisUpdate: new Date(now.getTime() - DAY), nextUpdate: new Date(now.getTime() + 365 * DAY) };
  for (const { file, ca, revoked } of crls) {
    const entries = revoked.map((issued) => ({ serialNumber: issued.cert.serialNumber, reason: X509CrlReason.keyCompromise }));
    await writeFile(join(dir, file), await issueCrl(ca, { ...validity, entries }));
  }
}

async function writeKey(path: string, pem: string): Promise<void> {
  await writeFile(path, pem, { mode: 0o600 });
  await chmod(path, 0o600); // writeFile's mode is masked by umask and ignored for existing files
}

/** Writes a fresh dev PKI into `dir`; returns the file names written. */
export async function writeDevPki(dir: string, now: Date): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const root = await Authority.root({ subject: "CN=certgate-dev-root, O=certgate", ...window(now, -1, 3650) });
  const intermediate = await root.intermediate({ subject: `CN=${DEV_INTERMEDIATE_CN}, O=certgate`, ...window(now, -1, 1825), pathLength: 0 });
  const rogue = await root.intermediate({ subject: "CN=rogue-intermediate, O=certgate", ...window(now, -1, 1825), pathLength: 0 });
  const untrusted = await Authority.root({ subject: "CN=untrusted-root, O=elsewhere", ...window(now, -1, 3650) });
  const cas: Output[] = [
    { name: "root-ca", issued: root.issued, chain: [], purpose: "trust anchor (truststore.ca_files)" },
    { name: "intermediate-ca", issued: intermediate.issued, chain: [], purpose: `the allowed intermediate (${DEV_INTERMEDIATE_CN})` },
    { name: "rogue-intermediate-ca", issued: rogue.issued, chain: [], purpose: "an intermediate under the same root, not in cert_cns" },
    { name: "untrusted-root-ca", issued: untrusted.issued, chain: [], purpose: "a root certgate does not trust" },
  ];
  const spiffe = await devTrustDomains(window(now, -1, 3650), window(now, -1, 365));
  cas.push(
    {
      name: "spiffe-certgate-ca",
      issued: spiffe.certgate.issued,
      chain: [],
      purpose: `trust domain ${DEV_TRUST_DOMAIN}'s CA (also in ${DEV_TRUST_DOMAIN}.bundle.json)`,
    },
    { name: "spiffe-partner-ca", issued: spiffe.partner.issued, chain: [], purpose: `trust domain ${PARTNER_TRUST_DOMAIN}'s CA` },
  );
  const svids = spiffe.svids.map((svid): Output => ({ name: svid.name, issued: svid.issued, chain: [svid.issuer], purpose: svid.purpose }));
  const outputs = [...cas, ...(await clients(now, root, intermediate, rogue, untrusted)), ...svids];
  const written: string[] = [];
  const index: string[] = ["# certgate dev PKI - generated, never for production", ""];
  for (const output of outputs) {
    await writeFile(join(dir, `${output.name}.pem`), output.issued.pem + output.chain.map((ca) => ca.pem).join(""));
    await writeKey(join(dir, `${output.name}.key`), await output.issued.privateKeyPem());
    written.push(`${output.name}.pem`, `${output.name}.key`);
    index.push(`${output.name}.pem: ${output.purpose}`);
  }
  const revoked = outputs.find((output) => output.name === "client-revoked")!.issued;
  await writeCrls(dir, now, [
    { file: "root-ca.crl", ca: root, revoked: [] },
    { file: "intermediate-ca.crl", ca: intermediate, revoked: [revoked] },
    { file: "rogue-intermediate-ca.crl", ca: rogue, revoked: [] },
    { file: "untrusted-root-ca.crl", ca: untrusted, revoked: [] },
  ]);
  index.push("root-ca.crl, intermediate-ca.crl, rogue-intermediate-ca.crl, untrusted-root-ca.crl: one CRL per CA (client-revoked is listed)");
  await writeFile(join(dir, `${DEV_TRUST_DOMAIN}.bundle.json`), await spiffeBundleJson([spiffe.certgate]));
  index.push(`${DEV_TRUST_DOMAIN}.bundle.json: the SPIFFE bundle (JWKS) of trust domain ${DEV_TRUST_DOMAIN}`);
  index.push(...(await writeRequests(dir, outputs)));
  await writeFile(join(dir, "README.txt"), index.join("\n") + "\n");
  return written;
}

/**
 * Requests to try the service with, as request files for `buf curl -d @FILE` and
 * `grpcurl -d @ < FILE`: a PEM chain does not fit on a command line.
 */
async function writeRequests(dir: string, outputs: readonly Output[]): Promise<string[]> {
  const chainOf = (name: string) => {
    const output = outputs.find((candidate) => candidate.name === name)!;
    return output.issued.pem + output.chain.map((ca) => ca.pem).join("");
  };
  const xfcc = (pem: string) => `By=spiffe://cluster.local/ns/default/sa/app;Chain="${encodeURIComponent(pem)}"`;
  const requests: [file: string, body: object, purpose: string][] = [
    ["validate-john.json", { pem: chainOf("client-john"), context: "/api/users/v1/me", method: "GET" }, "Validate: john on /api/users/v1/me (OK)"],
    ["validate-rogue.json", { pem: chainOf("client-rogue"), context: "/api/users/v1/me", method: "GET" }, "Validate: INTERMEDIATE_CN_NOT_ALLOWED"],
    [
      "validate-rogue-scim2.json",
      { pem: chainOf("client-rogue"), context: "/scim2/Users", method: "GET", userHeader: "admin" },
      "Validate: the exempt context, the rogue intermediate's client mapped to assert admin (OK)",
    ],
    [
      "check-john.json",
      { attributes: { request: { http: { method: "GET", path: "/api/users", headers: { "x-forwarded-client-cert": xfcc(chainOf("client-john")) } } } } },
      "ext_authz Check as Envoy sends it, john's chain in x-forwarded-client-cert (OK)",
    ],
  ];
  for (const [file, body] of requests) await writeFile(join(dir, file), `${JSON.stringify(body, null, 2)}\n`);
  return requests.map(([file, , purpose]) => `${file}: ${purpose}`);
}

/** Generates the dev PKI only when `dir` has no root yet (idempotent). */
export async function ensureDevPki(dir: string, now: Date): Promise<{ generated: boolean }> {
  if (devPkiPresent(dir)) return { generated: false };
  await writeDevPki(dir, now);
  return { generated: true };
}
