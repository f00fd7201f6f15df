// Who the principal is, once the chain is verified: with a SAN source, the
// [[principal.mapping]] that matches the leaf's SANs (a workload identity is never a
// proxy for an asserted user); otherwise the leaf's CN where the CN check applies
// (WSO2), or else the asserted user - the header, or a certificate mapping
// ([client_certificate_based_authentication]) - or nobody.
import type { Certificate } from "../pki/certificate/certificate.ts";
import { uriNames } from "../pki/spiffe/svid.ts";
import { fail, type Failure } from "../reason.ts";
import { principalFromCommonNames, principalFromName, type Principal, type PrincipalOptions } from "./principal.ts";
import type { SanMappings, SanSource } from "./san-mapping.ts";
import { mapCertificateToUser, type HeaderSemantics, type ThumbprintMappings } from "./thumbprint-mapping.ts";

export interface PrincipalSources {
  readonly options: PrincipalOptions;
  readonly sanMappings: SanMappings | undefined;
  readonly thumbprintMappings: ThumbprintMappings | undefined;
  readonly headerSemantics: HeaderSemantics;
}

export interface PrincipalChoice {
  readonly ok: true;
  /** undefined: the client is authenticated and names no user. */
  readonly principal: Principal | undefined;
  /** Where the name came from, for the explanation. */
  readonly from: "san mapping" | "leaf CN" | "asserted user";
  readonly detail: string;
}

/** The leaf's SAN values of the mapped source's form, in certificate order. */
function sanValues(leaf: Certificate, source: SanSource): string[] {
  if (source === "uri_san") return uriNames(leaf);
  const type = source === "email_san" ? "email" : "dns";
  return leaf.subjectAltNames.flatMap((name) => (name.type === type ? [name.value] : []));
}

function fromSan(leaf: Certificate, mappings: SanMappings, options: PrincipalOptions): PrincipalChoice | Failure {
  const values = sanValues(leaf, mappings.source);
  const mapped = mappings.map(values);
  if (mapped === undefined) {
    const why =
      values.length === 0
        ? `the leaf has no ${mappings.source.replace("_san", "").toUpperCase()} SAN`
        : `no [[principal.mapping]] matches ${values.map((value) => JSON.stringify(value)).join(", ")}`;
    return fail("NO_PRINCIPAL_MAPPING", `${why} (principal.source = "${mappings.source}")`, 0);
  }
  const result = principalFromName(mapped.name, options, 0);
  if (!result.ok) return result;
  const detail = `${JSON.stringify(mapped.value)} matches principal.mapping[${mapped.index}] -> ${result.principal.qualifiedUsername}`;
  return { ok: true, principal: result.principal, from: "san mapping", detail };
}

function fromCn(leaf: Certificate, options: PrincipalOptions): PrincipalChoice | Failure {
  const result = principalFromCommonNames(leaf.subject.commonNames, options);
  if (!result.ok) return result;
  return {
    ok: true,
    principal: result.principal,
    from: "leaf CN",
    detail: `CN ${JSON.stringify(leaf.subject.commonNames[0] ?? "")} -> ${result.principal.qualifiedUsername}`,
  };
}

/**
 * WSO2 IS 7.2 (ClientCertificateBasedAuthenticationHandler.canHandle): outside the CN
 * check a certificate authenticates only when client-certificate authentication is
 * enabled, through its mappings. certgate applies it to every asserted user, and to
 * a call without one in an exempt context; with the CN check off altogether, a call
 * without a user is certgate's plain mTLS check and stays an authenticated client.
 */
function unmapped(userHeader: string | undefined): Failure {
  const mapping = userHeader === undefined ? "a system_thumbprint_mapping" : "a user_thumbprint_mapping allowing the asserted user";
  return fail(
    "USER_NOT_MAPPED",
    `outside the intermediate-CN check a certificate authenticates only through [client_certificate_based_authentication] enable = true ` +
      `and ${mapping} (WSO2 IS 7.2); header_semantics = "7.1" trusts the header as IS 7.1 did`,
    0,
    "mappings-disabled",
  );
}

export interface PrincipalRequest {
  /** The intermediate-CN check applies (enabled, path not exempt). */
  readonly cnApplies: boolean;
  /** The path is an exempt context (the CN check is enabled but skipped here). */
  readonly exempt: boolean;
  readonly userHeader: string | undefined;
}

/** The user named by the asserted-user header, or by a certificate mapping. */
function asserted(leaf: Certificate, sources: PrincipalSources, request: PrincipalRequest): PrincipalChoice | Failure {
  const { userHeader } = request;
  let user: string | undefined = userHeader === "" ? undefined : userHeader;
  const mappings = sources.thumbprintMappings;
  if (mappings === undefined && sources.headerSemantics === "7.2" && (user !== undefined || request.exempt)) return unmapped(user);
  if (mappings !== undefined) {
    const mapped = mapCertificateToUser(mappings, { issuerUnorderedKey: leaf.issuer.unorderedKey, fingerprint: leaf.fingerprint }, userHeader);
    if (!mapped.ok) return mapped;
    user = mapped.username;
  }
  if (user === undefined) return { ok: true, principal: undefined, from: "asserted user", detail: "no user named: the client is authenticated, no principal" };
  const result = principalFromName(user, sources.options);
  if (!result.ok) return result;
  return { ok: true, principal: result.principal, from: "asserted user", detail: `${JSON.stringify(user)} -> ${result.principal.qualifiedUsername}` };
}

/** Where the principal comes from for a request: `cnApplies` when the intermediate-CN check applies (enabled, not exempt). */
export function principalSource(sources: PrincipalSources, cnApplies: boolean): PrincipalChoice["from"] {
  if (sources.sanMappings !== undefined) return "san mapping";
  return cnApplies ? "leaf CN" : "asserted user";
}

export function choosePrincipal(leaf: Certificate, sources: PrincipalSources, request: PrincipalRequest): PrincipalChoice | Failure {
  const mappings = sources.sanMappings;
  if (mappings !== undefined) return fromSan(leaf, mappings, sources.options);
  return request.cnApplies ? fromCn(leaf, sources.options) : asserted(leaf, sources, request);
}
