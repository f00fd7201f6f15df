// One scenario per decision certgate can make, shared by the validator unit test,
// the gRPC integration test and the CLI test, so all three must agree.
import { Authority, OID_CLIENT_AUTH, OID_SERVER_AUTH } from "../../src/devpki/ca.ts";
import { Extension, KeyUsageFlags } from "../../src/devpki/x509.ts";
import type { Reason } from "../../src/reason.ts";
import type { ChainInput, ValidatorSettings } from "../../src/validator/validator.ts";
import { VALID, decoded, newPki, trustStoreOf, type TestPki } from "./pki.ts";

export interface Scenario {
  readonly name: string;
  readonly chain: ChainInput;
  readonly context: string;
  readonly userHeader?: string;
  readonly expect: Reason;
  readonly exempt?: boolean;
  readonly qualifiedUsername?: string;
  /** The warnings the answer carries, as "rule@certIndex" (default: none). */
  readonly warns?: readonly string[];
}

export const CERT_CNS = ["certgate-dev-intermediate"];
export const EXEMPT_CONTEXTS = ["/scim2", "dcr"];

/** Who may assert whom in the exempt contexts (WSO2 IS 7.2): certificates of the rogue intermediate may assert ann, and call as themselves without a user. */
export const MAPPED_USER = "ann@acme.com";
/** A name the mapping allows that is not a valid username. */
const MALFORMED_USER = "/john";

export function settingsFor(pki: TestPki): ValidatorSettings {
  const rogue = decoded(pki.rogue.der).subject.unorderedKey;
  return {
    trust: trustStoreOf([pki.root]),
    maxChainLength: 8,
    allowSha1: false,
    purpose: "client",
    intermediateCertValidation: { enable: true, certCns: CERT_CNS, exemptContexts: EXEMPT_CONTEXTS },
    principal: { emailUsername: false },
    thumbprintMappings: {
      users: [{ trustedIssuer: rogue, thumbprint: "*", allowedUsernames: [MAPPED_USER, MALFORMED_USER] }],
      systems: [{ trustedIssuer: rogue, thumbprint: "*", allowedSystemUser: "*" }],
    },
  };
}

/** settingsFor's mappings as deployment.toml writes them. */
export function mappingsToml(pki: TestPki): string {
  const issuer = JSON.stringify(decoded(pki.rogue.der).subject.text);
  return (
    `[client_certificate_based_authentication]\nenable = true\n` +
    `[[client_certificate_based_authentication.user_thumbprint_mapping]]\ntrusted_issuer = ${issuer}\ncert_thumbprint = "*"\nallowed_username = ["${MAPPED_USER}", "${MALFORMED_USER}"]\n` +
    `[[client_certificate_based_authentication.system_thumbprint_mapping]]\ntrusted_issuer = ${issuer}\ncert_thumbprint = "*"\nallowed_system_user = "*"\n`
  );
}

const pem = (...items: { pem: string }[]) => ({ pem: items.map((item) => item.pem).join("") });

export async function buildScenarios(): Promise<{ pki: TestPki; scenarios: Scenario[] }> {
  const pki = await newPki();
  const { intermediate, rogue, root } = pki;
  const john = await pki.client("SECONDARY/john@tenant.com");
  const tampered = new Uint8Array(john.der);
  tampered[tampered.length - 3] = tampered[tampered.length - 3]! ^ 0xff;
  const notCa = await root.issue({ subject: "CN=certgate-dev-intermediate, O=not-a-ca", ...VALID, ca: false });
  const sub = await intermediate.intermediate({ subject: "CN=certgate-dev-intermediate, O=sub", ...VALID });
  const noCertSign = await root.intermediate({ subject: "CN=certgate-dev-intermediate, O=no-cert-sign", ...VALID, keyUsage: KeyUsageFlags.cRLSign });
  const sha1Ca = await root.intermediate({ subject: "CN=certgate-dev-intermediate, O=sha1", ...VALID, hash: "SHA-1" });
  const selfSigned = await Authority.root({
    subject: "CN=self",
    ...VALID,
    ca: false,
    keyUsage: KeyUsageFlags.digitalSignature,
    extendedKeyUsage: [OID_CLIENT_AUTH],
  });
  const critical = new Extension("1.3.6.1.4.1.99999.7", true, new Uint8Array([5, 0]));
  const scenarios: Scenario[] = [
    {
      name: "valid chain, CN checked",
      chain: pem(john, intermediate),
      context: "/api/users/v1/me",
      expect: "OK",
      qualifiedUsername: "SECONDARY/john@tenant.com",
    },
    { name: "valid chain as DER", chain: { der: [john.der, intermediate.der] }, context: "/", expect: "OK", qualifiedUsername: "SECONDARY/john@tenant.com" },
    {
      name: "exempt context, user header",
      chain: pem(await pki.client("svc", {}, rogue), rogue),
      context: "/scim2/Users",
      userHeader: "ann@acme.com",
      expect: "OK",
      exempt: true,
      qualifiedUsername: "ann@acme.com",
    },
    {
      name: "exempt context, a user the mapping does not allow",
      chain: pem(await pki.client("svc", {}, rogue), rogue),
      context: "/scim2/Users",
      userHeader: "bob@acme.com",
      expect: "USER_NOT_MAPPED",
      exempt: true,
    },
    {
      name: "exempt context, a certificate no mapping trusts",
      chain: pem(await pki.client("svc", {}, intermediate), intermediate),
      context: "/scim2/Users",
      userHeader: "ann@acme.com",
      expect: "USER_NOT_MAPPED",
      exempt: true,
    },
    {
      name: "exempt context, no user",
      chain: pem(await pki.client("svc", {}, rogue), rogue),
      context: "/t/acme.com/dcr/register",
      expect: "OK",
      exempt: true,
      qualifiedUsername: "",
    },
    { name: "no certificate", chain: { der: [] }, context: "/", expect: "NO_CERTIFICATE" },
    { name: "garbage PEM", chain: { pem: "-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n" }, context: "/", expect: "MALFORMED_CERTIFICATE" },
    { name: "garbage DER", chain: { der: [new Uint8Array([1, 2, 3])] }, context: "/", expect: "MALFORMED_CERTIFICATE" },
    { name: "nine certificates", chain: pem(john, ...Array.from({ length: 8 }, () => intermediate)), context: "/", expect: "CHAIN_TOO_LONG" },
    { name: "untrusted root", chain: pem(await pki.client("eve", {}, pki.otherRoot)), context: "/", expect: "PATH_NOT_FOUND" },
    { name: "self-signed client", chain: pem(selfSigned), context: "/", expect: "SELF_SIGNED_CERTIFICATE" },
    { name: "tampered signature", chain: { der: [tampered, intermediate.der] }, context: "/", expect: "BAD_SIGNATURE" },
    {
      name: "expired leaf",
      chain: pem(await pki.client("old", { notAfter: new Date("2026-02-01T00:00:00Z") }), intermediate),
      context: "/",
      expect: "CERTIFICATE_EXPIRED",
    },
    {
      name: "leaf not yet valid",
      chain: pem(await pki.client("new", { notBefore: new Date("2027-01-01T00:00:00Z") }), intermediate),
      context: "/",
      expect: "CERTIFICATE_NOT_YET_VALID",
    },
    {
      name: "issuer is not a CA",
      chain: pem(await new Authority(notCa).client({ subject: "CN=john", ...VALID }), { pem: notCa.pem }),
      context: "/",
      expect: "NOT_A_CA",
    },
    { name: "pathLen 0 exceeded", chain: pem(await pki.client("john", {}, sub), sub, intermediate), context: "/", expect: "PATH_LENGTH_EXCEEDED" },
    { name: "issuer lacks keyCertSign", chain: pem(await pki.client("john", {}, noCertSign), noCertSign), context: "/", expect: "KEY_USAGE_INVALID" },
    {
      name: "serverAuth-only leaf",
      chain: pem(await pki.client("john", { extendedKeyUsage: [OID_SERVER_AUTH] }), intermediate),
      context: "/",
      expect: "EXTENDED_KEY_USAGE_INVALID",
    },
    {
      name: "unknown critical extension",
      chain: pem(await pki.client("john", { extraExtensions: [critical] }), intermediate),
      context: "/",
      expect: "UNKNOWN_CRITICAL_EXTENSION",
    },
    {
      name: "SHA-1 signed leaf",
      chain: pem(await sha1Ca.client({ subject: "CN=john", ...VALID, hash: "SHA-1" }), sha1Ca),
      context: "/",
      expect: "WEAK_SIGNATURE_ALGORITHM",
    },
    { name: "rogue intermediate", chain: pem(await pki.client("mallory", {}, rogue), rogue), context: "/api/users", expect: "INTERMEDIATE_CN_NOT_ALLOWED" },
    {
      name: "bare entry does not match a longer segment",
      chain: pem(await pki.client("mallory", {}, rogue), rogue),
      context: "/api/dcr-admin",
      expect: "INTERMEDIATE_CN_NOT_ALLOWED",
    },
    {
      name: "dot segments out of an exempt context",
      chain: pem(await pki.client("mallory", {}, rogue), rogue),
      context: "/scim2/../api/server/v1/applications",
      expect: "INTERMEDIATE_CN_NOT_ALLOWED",
    },
    { name: "no CN", chain: pem(await intermediate.client({ subject: "O=certgate, OU=no-cn", ...VALID }), intermediate), context: "/", expect: "EMPTY_CN" },
    {
      name: "two CNs",
      chain: pem(await intermediate.client({ subject: "CN=john, CN=mallory", ...VALID }), intermediate),
      context: "/",
      expect: "AMBIGUOUS_CN",
    },
    { name: "malformed CN", chain: pem(await pki.client("A/B/john"), intermediate), context: "/", expect: "INVALID_USERNAME" },
    {
      name: "malformed user header",
      chain: pem(await pki.client("svc", {}, rogue), rogue),
      context: "/scim2/Users",
      userHeader: MALFORMED_USER,
      expect: "INVALID_USERNAME",
    },
    {
      name: "leaf asserting keyCertSign without cA: accepted, reported",
      chain: pem(await pki.client("john", { keyUsage: KeyUsageFlags.digitalSignature | KeyUsageFlags.keyCertSign }), intermediate),
      context: "/",
      expect: "OK",
      warns: ["key-cert-sign-without-ca@0"],
    },
    { name: "encoded slash in path", chain: pem(john, intermediate), context: "/api%2F..%2Fscim2/Users", expect: "INVALID_REQUEST_PATH" },
  ];
  return { pki, scenarios };
}
