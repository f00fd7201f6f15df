// The dev PKI's SPIFFE side: two trust domains with a CA each, an X.509-SVID in each,
// and a forged SVID (partner.dev's CA minting a certgate.dev ID) that a validator
// pooling its bundles would accept. Also writes SPIFFE bundles (JWKS), the form
// SPIRE and Istio publish a trust domain's anchors in.
import { webcrypto } from "node:crypto";
import { Authority, OID_CLIENT_AUTH, type Issued } from "./ca.ts";
import { KeyUsageFlags } from "./x509.ts";

export const DEV_TRUST_DOMAIN = "certgate.dev";
export const PARTNER_TRUST_DOMAIN = "partner.dev";

export interface DevTrustDomains {
  readonly certgate: Authority;
  readonly partner: Authority;
  readonly svids: readonly { readonly name: string; readonly issued: Issued; readonly issuer: Authority; readonly purpose: string }[];
}

interface Validity {
  readonly notBefore: Date;
  readonly notAfter: Date;
}

/** A trust domain's root CA, named by its trust domain as the SPIFFE bundle spec's example does. */
export function spiffeRoot(trustDomain: string, validity: Validity): Promise<Authority> {
  return Authority.root({ subject: `CN=${trustDomain} SPIFFE CA, O=${trustDomain}`, ...validity, uris: [`spiffe://${trustDomain}`] });
}

/** An X.509-SVID as SPIRE issues one: no CN, one spiffe URI SAN, digitalSignature, clientAuth. */
export function issueSvid(issuer: Authority, spiffeId: string, validity: Validity): Promise<Issued> {
  return issuer.client({
    subject: "O=SPIRE, C=US",
    ...validity,
    uris: [spiffeId],
    keyUsage: KeyUsageFlags.digitalSignature,
    extendedKeyUsage: [OID_CLIENT_AUTH],
  });
}

export async function devTrustDomains(ca: Validity, leaf: Validity): Promise<DevTrustDomains> {
  const certgate = await spiffeRoot(DEV_TRUST_DOMAIN, ca);
  const partner = await spiffeRoot(PARTNER_TRUST_DOMAIN, ca);
  return {
    certgate,
    partner,
    svids: [
      {
        name: "svid-frontend",
        issued: await issueSvid(certgate, `spiffe://${DEV_TRUST_DOMAIN}/ns/default/sa/frontend`, leaf),
        issuer: certgate,
        purpose: `X.509-SVID spiffe://${DEV_TRUST_DOMAIN}/ns/default/sa/frontend`,
      },
      {
        name: "svid-partner",
        issued: await issueSvid(partner, `spiffe://${PARTNER_TRUST_DOMAIN}/ns/billing/sa/invoicer`, leaf),
        issuer: partner,
        purpose: `X.509-SVID spiffe://${PARTNER_TRUST_DOMAIN}/ns/billing/sa/invoicer`,
      },
      {
        name: "svid-forged",
        issued: await issueSvid(partner, `spiffe://${DEV_TRUST_DOMAIN}/ns/default/sa/admin`, leaf),
        issuer: partner,
        purpose: `${PARTNER_TRUST_DOMAIN}'s CA minting spiffe://${DEV_TRUST_DOMAIN}/ns/default/sa/admin: TRUST_DOMAIN_MISMATCH`,
      },
    ],
  };
}

/** A SPIFFE bundle (JWKS) holding `authorities` as x509-svid keys. */
export async function spiffeBundleJson(authorities: readonly Authority[], sequence = 1): Promise<string> {
  const keys = [];
  for (const authority of authorities) {
    const jwk = await webcrypto.subtle.exportKey("jwk", authority.issued.keys.publicKey);
    const { kty, crv, x, y, n, e } = jwk;
    keys.push({
      use: "x509-svid",
      kty,
      ...(crv === undefined ? {} : { crv, x, y }),
      ...(n === undefined ? {} : { n, e }),
      x5c: [Buffer.from(authority.der).toString("base64")],
    });
  }
  return JSON.stringify({ spiffe_sequence: sequence, keys }, null, 2) + "\n";
}
