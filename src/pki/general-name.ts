// GeneralName (RFC 5280 4.2.1.6) in the forms name constraints compare: DNS names,
// e-mail addresses and URIs as lower-case strings, IP addresses (and subnets) as
// text node:net understands, directory names by their comparison keys.
import type { GeneralName } from "@peculiar/asn1-x509";
import { distinguishedName, type DistinguishedName } from "./name.ts";

export type GeneralNameValue =
  | { readonly type: "dns" | "email" | "uri"; readonly value: string }
  | { readonly type: "ip"; readonly value: string }
  | { readonly type: "dn"; readonly value: DistinguishedName }
  /** otherName, x400Address, ediPartyName, registeredID: forms certgate does not compare. */
  | { readonly type: "other"; readonly value: string };

export interface Subtree {
  readonly name: GeneralNameValue;
  /** minimum/maximum other than the RFC 5280 profile's 0/absent. */
  readonly bounded: boolean;
}

export interface NameConstraints {
  /** undefined: no permittedSubtrees at all (nothing restricted by permission). */
  readonly permitted: readonly Subtree[] | undefined;
  readonly excluded: readonly Subtree[];
}

export function generalName(name: GeneralName): GeneralNameValue {
  if (name.dNSName !== undefined) return { type: "dns", value: name.dNSName.toLowerCase() };
  if (name.rfc822Name !== undefined) return { type: "email", value: name.rfc822Name };
  if (name.uniformResourceIdentifier !== undefined) return { type: "uri", value: name.uniformResourceIdentifier };
  if (name.iPAddress !== undefined) return { type: "ip", value: name.iPAddress };
  if (name.directoryName !== undefined) return { type: "dn", value: distinguishedName(name.directoryName) };
  return { type: "other", value: name.registeredID ?? "otherName" };
}
