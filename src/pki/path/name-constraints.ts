// Name constraints (RFC 5280 4.2.1.10, applied as in 6.1.3 (b)-(c)): every name of
// a certificate below a constraining CA must lie in a permitted subtree of its form
// (when the CA permits any of that form) and in no excluded subtree. Checking each
// constraining CA on its own is the intersection 6.1.4 (g) builds.
import { fail, type Failure } from "../../reason.ts";
import type { Certificate } from "../certificate/certificate.ts";
import type { GeneralNameValue, NameConstraints } from "../certificate/general-name.ts";
import { isDnsName, isHostName, isMailbox, isWildcard } from "../certificate/name-syntax.ts";

/**
 * DNS: the constraint and any name formed by adding labels to its left. A leading
 * period (".example.com", nonconforming but common in older CAs) means names below
 * it only, as OpenSSL and Java read it.
 */
function dnsWithin(name: string, base: string): boolean {
  const b = base.toLowerCase();
  if (b === "") return true;
  if (b.startsWith(".")) return name.endsWith(b);
  return name === b || name.endsWith(`.${b}`);
}

/** rfc822: a mailbox, a host (all its mailboxes) or ".domain" (hosts below it). */
function emailWithin(email: string, base: string): boolean {
  const at = email.lastIndexOf("@");
  if (at < 0) return false;
  const host = email.slice(at + 1).toLowerCase();
  if (base.includes("@")) return email.slice(0, at) === base.slice(0, base.lastIndexOf("@")) && host === base.slice(base.lastIndexOf("@") + 1).toLowerCase();
  if (base.startsWith(".")) return host.endsWith(base.toLowerCase());
  return host === base.toLowerCase();
}

/** URI: the constraint applies to the host; a URI without one cannot satisfy it. */
function uriWithin(uri: string, base: string): boolean {
  let host: string;
  try {
    host = new URL(uri).hostname.toLowerCase().replace(/^\[|\]$/g, "");
  } catch {
    return false;
  }
  if (host === "") return false;
  if (base.startsWith(".")) return host.endsWith(base.toLowerCase());
  return host === base.toLowerCase();
}

/** IPv4 or IPv6 text (as @peculiar/asn1-x509 renders iPAddress) to bytes. */
function ipBytes(ip: string): number[] | undefined {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(ip)) {
    const bytes = ip.split(".").map(Number);
    return bytes.every((b) => b <= 255) ? bytes : undefined;
  }
  if (!ip.includes(":")) return undefined;
  const [head = "", tail, extra] = ip.split("::");
  if (extra !== undefined) return undefined;
  const groups = (part: string) => (part === "" ? [] : part.split(":"));
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  const fill = tail === undefined ? 0 : 8 - left.length - right.length;
  const all = [...left, ...Array<string>(Math.max(fill, 0)).fill("0"), ...right];
  if (all.length !== 8 || !all.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
  return all.flatMap((g) => [parseInt(g, 16) >> 8, parseInt(g, 16) & 0xff]);
}

function ipWithin(ip: string, subnet: string): boolean {
  const [base, prefixText] = subnet.split("/");
  const address = ipBytes(ip);
  const network = ipBytes(base ?? "");
  const prefix = Number(prefixText);
  if (address === undefined || network === undefined || address.length !== network.length || !Number.isInteger(prefix)) return false;
  for (let bit = 0; bit < prefix; bit++) {
    const mask = 0x80 >> (bit % 8);
    if (((address[bit >> 3] ?? 0) & mask) !== ((network[bit >> 3] ?? 0) & mask)) return false;
  }
  return true;
}

function within(name: GeneralNameValue, subtree: GeneralNameValue): boolean {
  if (name.type !== subtree.type) return false;
  switch (name.type) {
    case "dns":
      return dnsWithin(name.value, subtree.value as string);
    case "email":
      return emailWithin(name.value, subtree.value as string);
    case "uri":
      return uriWithin(name.value, subtree.value as string);
    case "ip":
      return ipWithin(name.value, subtree.value as string);
    case "dn": {
      const base = (subtree as { value: { rdnKeys: readonly string[] } }).value.rdnKeys;
      return base.every((rdn, i) => name.value.rdnKeys[i] === rdn);
    }
    case "otherName":
    case "x400Address":
    case "ediPartyName":
    case "registeredID":
      return false;
  }
}

/**
 * A leaf's CNs that are host names, when it has no dNSName SAN: OpenSSL, BoringSSL
 * and Java apply DNS constraints to them, or "CN=evil.example" would escape a CA
 * permitted only acme.example. A WSO2 username ("SECONDARY/john@acme.com") is not a
 * host name and stays a CN.
 */
function hostNameCns(certificate: Certificate): GeneralNameValue[] {
  if (certificate.subjectAltNames.some((name) => name.type === "dns")) return [];
  return certificate.subject.commonNames.filter(isHostName).map((cn) => ({ type: "dns", value: cn.toLowerCase() }));
}

/** The names a constraint applies to: the subject (and its emailAddress values), the subjectAltNames, and a leaf's host-name CNs. */
function namesOf(certificate: Certificate, isLeaf: boolean): GeneralNameValue[] {
  const subject: GeneralNameValue[] = certificate.subject.rdnKeys.length > 0 ? [{ type: "dn", value: certificate.subject }] : [];
  const emails: GeneralNameValue[] = certificate.subject.emails.map((value) => ({ type: "email", value }));
  return [...subject, ...emails, ...certificate.subjectAltNames, ...(isLeaf ? hostNameCns(certificate) : [])];
}

const OTHER_FORMS = new Set(["otherName", "x400Address", "ediPartyName", "registeredID"]);
const isOtherForm = (name: GeneralNameValue) => OTHER_FORMS.has(name.type);

function describe(name: GeneralNameValue): string {
  return `${name.type} ${name.type === "dn" ? name.value.text : name.value}`;
}

/** Why a constraint itself is malformed (RFC 5280 4.2.1.10), or undefined. */
function malformedConstraint(constraints: NameConstraints): string | undefined {
  for (const { name, bounded } of [...(constraints.permitted ?? []), ...constraints.excluded]) {
    // The profile fixes minimum at 0 and forbids maximum.
    if (bounded) return "a subtree with minimum or maximum";
    // A leading period is nonconforming (the profile reports it) but has one reading; anything else a DNS name cannot be is refused.
    if (name.type === "dns" && name.value !== "" && !isDnsName(name.value.replace(/^\./, ""), { wildcard: false }))
      return `dNSName constraint "${name.value}" is not a DNS name`;
  }
  return undefined;
}

/** The names a wildcard "*.d" can stand for meet an excluded subtree when the subtree is d or lies one label below it. */
function wildcardMeets(name: string, base: string): boolean {
  const domain = name.slice(2);
  const labels = base.split(".");
  return labels.length > 1 && labels.slice(1).join(".") === domain;
}

function syntaxProblem(name: GeneralNameValue): string | undefined {
  if (name.type === "dns" && !isDnsName(name.value, { wildcard: true })) return "is not a valid DNS name";
  if (name.type === "email" && !isMailbox(name.value)) return "is not a valid e-mail address";
  return undefined;
}

function violation(certificate: Certificate, isLeaf: boolean, constraints: NameConstraints, ca: Certificate): string | undefined {
  const subject = certificate.subject.text;
  for (const name of namesOf(certificate, isLeaf)) {
    const permitted = (constraints.permitted ?? []).filter((subtree) => subtree.name.type === name.type);
    const excluded = constraints.excluded.filter((subtree) => subtree.name.type === name.type);
    // A form no constraint names is not constrained.
    if (permitted.length === 0 && excluded.length === 0) continue;
    if (isOtherForm(name)) return `${name.type} of "${subject}" is a form certgate cannot check against the constraints of "${ca.subject.text}"`;
    const bad = syntaxProblem(name);
    if (bad !== undefined) return `${describe(name)} of "${subject}" ${bad}, so the constraints of "${ca.subject.text}" cannot be checked`;
    const hit = excluded.find(
      (subtree) => within(name, subtree.name) || (name.type === "dns" && isWildcard(name.value) && wildcardMeets(name.value, subtree.name.value as string)),
    );
    if (hit !== undefined) return `${describe(name)} of "${subject}" is excluded by "${ca.subject.text}"`;
    if (permitted.length > 0 && !permitted.some((subtree) => within(name, subtree.name))) {
      return `${describe(name)} of "${subject}" is outside the names "${ca.subject.text}" permits`;
    }
  }
  return undefined;
}

/**
 * `path`: leaf first, anchor last. Constraints of every CA (anchor included, as
 * OpenSSL and Go apply a trust anchor's) bind all certificates below it;
 * self-issued intermediates are exempt (6.1.3 (b)), the leaf never is.
 */
export function checkNameConstraints(path: readonly Certificate[], indexOf: (certificate: Certificate) => number): Failure | undefined {
  for (let ca = path.length - 1; ca >= 1; ca--) {
    const constraints = path[ca]!.nameConstraints;
    if (constraints === undefined) continue;
    const malformed = malformedConstraint(constraints);
    if (malformed !== undefined)
      return fail("NAME_CONSTRAINT_VIOLATION", `"${path[ca]!.subject.text}" has a malformed name constraint: ${malformed}`, indexOf(path[ca]!));
    for (let i = ca - 1; i >= 0; i--) {
      const certificate = path[i]!;
      if (i > 0 && certificate.selfIssued) continue;
      const why = violation(certificate, i === 0, constraints, path[ca]!);
      if (why !== undefined) return fail("NAME_CONSTRAINT_VIOLATION", why, indexOf(certificate));
    }
  }
  return undefined;
}
