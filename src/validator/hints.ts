// What an operator can do about a refusal, keyed on its structured cause (the reason,
// and the rule where one reason has causes with different remedies), never on the
// message text, which may be reworded.
import type { Failure, FailureReason } from "../reason.ts";

/** Configuration and names a hint refers to. */
export interface HintContext {
  readonly certCns: readonly string[];
  /** The CA that signed the leaf, when a path was built. */
  readonly issuer: string | undefined;
}

type Hint = (failure: Failure, context: HintContext) => string;

const HINTS: Partial<Record<FailureReason, Hint>> = {
  INTERMEDIATE_CN_NOT_ALLOWED: (_, c) =>
    `issuing CA "${c.issuer ?? "?"}" is not in intermediate_cert_validation.cert_cns (${c.certCns.join(", ") || "empty"}); ` +
    "add its CN there, or call under an exempt context",
  PATH_NOT_FOUND: () =>
    "no configured trust anchor issued this chain: add its root to truststore.ca_files, or its intermediate to truststore.intermediate_files " +
    "(or send the intermediate with the leaf)",
  SELF_SIGNED_CERTIFICATE: () => "a self-signed client certificate is trusted only if it is itself in truststore.ca_files (pinned); better, have a CA issue it",
  CERTIFICATE_EXPIRED: () => "renew the certificate (or check this machine's clock)",
  CERTIFICATE_NOT_YET_VALID: () => "the certificate is not valid yet: check the issuer's and this machine's clocks",
  BAD_SIGNATURE: () => "the certificate was altered, or the chain names the wrong issuer: send the chain exactly as issued",
  CHAIN_TOO_LONG: () => "send fewer certificates, or raise server.max_chain_length",
  EXTENDED_KEY_USAGE_INVALID: () => "issue the client certificate with extendedKeyUsage clientAuth",
  KEY_USAGE_INVALID: () => "the certificate's keyUsage does not fit its role: a client needs digitalSignature (or keyAgreement), a CA keyCertSign",
  NOT_A_CA: () => "the certificate that signed the next one is not a CA (basicConstraints cA=TRUE): the chain is wrong or forged",
  WEAK_SIGNATURE_ALGORITHM: () => "reissue with SHA-256 or better; truststore.allow_sha1 = true accepts SHA-1 (never MD5)",
  NONCONFORMING_CERTIFICATE: () =>
    'the path breaks RFC 5280 rules for conforming CAs (all listed above) and truststore.profile is "strict": have the CA reissue, ' +
    'or use the default profile "rfc5280", which accepts them with warnings',
  REVOKED: () => "the certificate was revoked by its issuer: issue a new one",
  REVOCATION_UNKNOWN: () => "no usable CRL or OCSP answer: check [revocation] crl_files/crl_dirs, fetch and ocsp, or the distribution point's reachability",
  EMPTY_CN: () => "the client certificate needs exactly one CN naming the user (or call under an exempt context with a user header)",
  AMBIGUOUS_CN: () => "the client certificate needs exactly one CN naming the user",
  INVALID_USERNAME: () => "the CN (or user header) is not a WSO2 username: [USERSTORE/]user[@tenant]",
  NO_CERTIFICATE: () => "the request carried no client certificate: make client certificates required downstream, or add an unsecured rule for this resource",
  NO_MATCHING_RULE: () => 'no [[resource.access_control]] rule matches this path and method; add one, or set default_access = "allow"',
  NAME_CONSTRAINT_VIOLATION: () => "a name of the certificate is outside what a CA above it may certify (nameConstraints)",
  POLICY_INVALID: () => "the path is not valid for a policy required by the CAs or by truststore.required_policies",
  MALFORMED_CERTIFICATE: () => "send the certificate as DER or PEM exactly as issued",
  INVALID_SVID: () =>
    "the leaf claims a SPIFFE ID but is not an X.509-SVID: one spiffe URI SAN with a valid ID, not a CA, keyUsage digitalSignature only; " +
    "have the SPIFFE CA reissue it",
  NO_PRINCIPAL_MAPPING: () =>
    "add a [[principal.mapping]] whose match template covers this SAN (placeholders capture whole segments; literal text must match exactly)",
  INVALID_PROXY_HEADER: () =>
    "the proxy must send the original request's URI and method in the headers its forward_auth.proxy preset names: " +
    "compare its configuration with examples/ (or set forward_auth.uri_header and method_header)",
  PRINCIPAL_NOT_ALLOWED: () =>
    "the matched [[resource.access_control]] rule's trust_domains or principals do not name this client: add it there, or call a resource meant for it",
};

const RULE_HINTS: Readonly<Record<string, Hint>> = {
  "TRUST_DOMAIN_MISMATCH/trust-domain-not-configured": () => "add a [[trust_domain]] for this SPIFFE ID's trust domain with its ca_files or bundle_file",
  "TRUST_DOMAIN_MISMATCH/peer-principal-mismatch": () =>
    "the proxy authenticated a different peer than the certificate it forwarded: " +
    "check forward_client_cert_details (SANITIZE_SET) and that XFCC is not passed through",
  "TRUST_DOMAIN_MISMATCH/outside-trust-domain": () =>
    "an SVID is accepted only under its own trust domain's anchors: the issuing CA belongs to another domain (a forged or misrouted SVID), " +
    "or the domain's bundle lacks this CA",
};

export function hintFor(failure: Failure, context: HintContext): string | undefined {
  const byRule = failure.rule === undefined ? undefined : RULE_HINTS[`${failure.reason}/${failure.rule}`];
  return (byRule ?? HINTS[failure.reason])?.(failure, context);
}
