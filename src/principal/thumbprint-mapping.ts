// WSO2 client-certificate based authentication mappings
// ([client_certificate_based_authentication]): which certificates may assert which
// users in the asserted-user header, and which act as system users without one.
import { fail, type Failure } from "../reason.ts";

export interface UserMapping {
  /** Comparison key of the issuer DN, insensitive to RDN order (as WSO2). */
  readonly trustedIssuer: string;
  /** Lower-case hex SHA-256 without colons, or "*". */
  readonly thumbprint: string;
  /** Lower-cased usernames, or ["*"]. */
  readonly allowedUsernames: readonly string[];
}

export interface SystemMapping {
  readonly trustedIssuer: string;
  readonly thumbprint: string;
  /** The system user's name, or "*" (the authenticated client, no user). */
  readonly allowedSystemUser: string;
}

/**
 * Who may assert a user outside the intermediate-CN check (exempt contexts, or the
 * check off): "7.2" (WSO2 IS 7.2, the default) only a certificate a
 * [client_certificate_based_authentication] mapping allows; "7.1" any verified
 * certificate, for the WSO2-Identity-User header it sends, as IS 7.1 and older did.
 */
export type HeaderSemantics = "7.2" | "7.1";

export interface ThumbprintMappings {
  readonly users: readonly UserMapping[];
  readonly systems: readonly SystemMapping[];
}

export interface MappedCertificate {
  readonly issuerUnorderedKey: string;
  readonly fingerprint: string;
}

/** Normalises a configured thumbprint: hex, any case, colons optional; "*" kept. */
export function normaliseThumbprint(value: string): string | undefined {
  if (value === "*") return "*";
  const hex = value.replace(/:/g, "").toLowerCase();
  return /^[0-9a-f]{64}$/.test(hex) ? hex : undefined;
}

/** The exact-thumbprint mapping for this certificate's issuer wins over a "*" one. */
function bestMatch<T extends { trustedIssuer: string; thumbprint: string }>(mappings: readonly T[], certificate: MappedCertificate): T | undefined {
  const forIssuer = mappings.filter((mapping) => mapping.trustedIssuer === certificate.issuerUnorderedKey);
  return forIssuer.find((mapping) => mapping.thumbprint === certificate.fingerprint) ?? forIssuer.find((mapping) => mapping.thumbprint === "*");
}

export type MappedUser = { readonly ok: true; readonly username: string | undefined } | Failure;

/**
 * With a header user: a user mapping must allow it (case-insensitive, or "*").
 * Without one: a system mapping names the system user ("*": no user).
 */
export function mapCertificateToUser(mappings: ThumbprintMappings, certificate: MappedCertificate, headerUser: string | undefined): MappedUser {
  if (headerUser !== undefined && headerUser !== "") {
    const mapping = bestMatch(mappings.users, certificate);
    if (mapping === undefined) return fail("USER_NOT_MAPPED", "no user_thumbprint_mapping for this certificate's issuer and thumbprint", 0);
    const allowed = mapping.allowedUsernames.includes("*") || mapping.allowedUsernames.includes(headerUser.toLowerCase());
    if (!allowed) return fail("USER_NOT_MAPPED", `this certificate may not assert user ${JSON.stringify(headerUser)}`, 0);
    return { ok: true, username: headerUser };
  }
  const mapping = bestMatch(mappings.systems, certificate);
  if (mapping === undefined) return fail("USER_NOT_MAPPED", "no system_thumbprint_mapping for this certificate and no asserted user", 0);
  return { ok: true, username: mapping.allowedSystemUser === "*" ? undefined : mapping.allowedSystemUser };
}
