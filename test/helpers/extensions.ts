// Extensions the issuing library has no class for (or that must be malformed on
// purpose), encoded with @peculiar/asn1-x509 and handed to the CA factory as
// `extraExtensions`.
import { AsnConvert } from "@peculiar/asn1-schema";
import {
  AttributeTypeAndValue,
  AttributeValue,
  BasicConstraints,
  CertificatePolicies,
  CRLDistributionPoints,
  DistributionPoint,
  DistributionPointName,
  GeneralName,
  GeneralNames,
  GeneralSubtree,
  GeneralSubtrees,
  InhibitAnyPolicy,
  IssuingDistributionPoint,
  Name,
  NameConstraints,
  PolicyConstraints,
  PolicyInformation,
  PolicyMapping,
  PolicyMappings,
  Reason,
  RelativeDistinguishedName,
} from "@peculiar/asn1-x509";
import { Extension } from "../../src/devpki/x509.ts";

export type NameSpec =
  { dns: string } | { email: string } | { uri: string } | { ip: string } | { dn: [type: string, value: string][] } | { registeredId: string };

export function rdn(...attributes: [type: string, value: string][]): RelativeDistinguishedName {
  return new RelativeDistinguishedName(
    attributes.map(([type, value]) => new AttributeTypeAndValue({ type, value: new AttributeValue({ utf8String: value }) })),
  );
}

export function generalName(spec: NameSpec): GeneralName {
  if ("dns" in spec) return new GeneralName({ dNSName: spec.dns });
  if ("email" in spec) return new GeneralName({ rfc822Name: spec.email });
  if ("uri" in spec) return new GeneralName({ uniformResourceIdentifier: spec.uri });
  if ("ip" in spec) return new GeneralName({ iPAddress: spec.ip });
  if ("registeredId" in spec) return new GeneralName({ registeredID: spec.registeredId });
  return new GeneralName({ directoryName: new Name(spec.dn.map((attribute) => rdn(attribute))) });
}

const raw = (oid: string, critical: boolean, value: object) => new Extension(oid, critical, AsnConvert.serialize(value));

export function nameConstraintsExtension(options: { permitted?: NameSpec[]; excluded?: NameSpec[]; critical?: boolean }): Extension {
  const subtrees = (list: NameSpec[] | undefined) =>
    list === undefined ? undefined : new GeneralSubtrees(list.map((spec) => new GeneralSubtree({ base: generalName(spec) })));
  return raw(
    "2.5.29.30",
    options.critical ?? true,
    new NameConstraints({ permittedSubtrees: subtrees(options.permitted), excludedSubtrees: subtrees(options.excluded) }),
  );
}

export function certificatePoliciesExtension(policies: string[], critical = false): Extension {
  return raw("2.5.29.32", critical, new CertificatePolicies(policies.map((policyIdentifier) => new PolicyInformation({ policyIdentifier }))));
}

export function policyMappingsExtension(mappings: [issuerDomain: string, subjectDomain: string][], critical = true): Extension {
  // PolicyMapping's constructor is mistyped in @peculiar/asn1-x509; set the fields instead.
  const entries = mappings.map(([issuerDomainPolicy, subjectDomainPolicy]) => Object.assign(new PolicyMapping(), { issuerDomainPolicy, subjectDomainPolicy }));
  return raw("2.5.29.33", critical, new PolicyMappings(entries));
}

const skipCerts = (n: number | undefined) => (n === undefined ? undefined : new Uint8Array([n]).buffer);

export function policyConstraintsExtension(options: { requireExplicitPolicy?: number; inhibitPolicyMapping?: number; critical?: boolean }): Extension {
  return raw(
    "2.5.29.36",
    options.critical ?? true,
    new PolicyConstraints({ requireExplicitPolicy: skipCerts(options.requireExplicitPolicy), inhibitPolicyMapping: skipCerts(options.inhibitPolicyMapping) }),
  );
}

export function inhibitAnyPolicyExtension(skip: number): Extension {
  return raw("2.5.29.54", true, new InhibitAnyPolicy(skipCerts(skip)));
}

export interface DistributionPointSpec {
  readonly fullName?: NameSpec[];
  readonly relativeName?: [type: string, value: string][];
  /** ReasonFlags bits (bit n = reason code n). */
  readonly reasons?: number;
  readonly crlIssuer?: NameSpec[];
}

export function distributionPointsExtension(points: DistributionPointSpec[], oid = "2.5.29.31"): Extension {
  return raw(
    oid,
    false,
    new CRLDistributionPoints(
      points.map(
        (point) =>
          new DistributionPoint({
            distributionPoint:
              point.fullName !== undefined
                ? new DistributionPointName({ fullName: point.fullName.map(generalName) })
                : point.relativeName !== undefined
                  ? new DistributionPointName({ nameRelativeToCRLIssuer: rdn(...point.relativeName) })
                  : undefined,
            reasons: point.reasons === undefined ? undefined : new Reason(point.reasons),
            cRLIssuer: point.crlIssuer?.map(generalName),
          }),
      ),
    ),
  );
}

export function basicConstraintsExtension(ca: boolean, critical: boolean, pathLength?: number): Extension {
  return raw("2.5.29.19", critical, new BasicConstraints({ cA: ca, pathLenConstraint: pathLength }));
}

export interface IssuingDistributionPointSpec {
  readonly fullName?: NameSpec[];
  readonly onlyUser?: boolean;
  readonly onlyCa?: boolean;
  /** ReasonFlags bits (bit n = reason code n). */
  readonly onlySomeReasons?: number;
  readonly indirect?: boolean;
}

/** A CRL's issuingDistributionPoint (RFC 5280 5.2.5), critical as the RFC requires. */
export function issuingDistributionPointExtension(spec: IssuingDistributionPointSpec): Extension {
  return raw(
    "2.5.29.28",
    true,
    new IssuingDistributionPoint({
      distributionPoint: spec.fullName === undefined ? undefined : new DistributionPointName({ fullName: spec.fullName.map(generalName) }),
      onlyContainsUserCerts: spec.onlyUser ?? false,
      onlyContainsCACerts: spec.onlyCa ?? false,
      onlySomeReasons: spec.onlySomeReasons === undefined ? undefined : new Reason(spec.onlySomeReasons),
      indirectCRL: spec.indirect ?? false,
    }),
  );
}

/** The certificateIssuer CRL entry extension (5.3.3) naming a directory name. */
export function certificateIssuerExtension(dn: [type: string, value: string][]): Extension {
  return raw("2.5.29.29", true, new GeneralNames([generalName({ dn })]));
}
