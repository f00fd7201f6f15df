// Which anchors a leaf must chain to. With SPIFFE handling on, an X.509-SVID is held
// to the X.509-SVID rules and sent to its own trust domain's anchors only
// (spiffe/spiffe#375: a pooled bundle would let any domain's CA mint another's IDs);
// any other leaf to truststore.ca_files.
import { fail, type Failure } from "../../reason.ts";
import type { Certificate } from "../certificate/certificate.ts";
import type { TrustStore } from "../path/trust-store.ts";
import type { SpiffeId } from "./spiffe-id.ts";
import { checkSvid } from "./svid.ts";

export interface TrustSources {
  readonly trust: TrustStore;
  readonly trustDomains: ReadonlyMap<string, TrustStore>;
  /** SPIFFE handling is on: SVIDs are recognised and anchored to their domain. */
  readonly spiffe: boolean;
}

export interface Anchoring {
  readonly ok: true;
  readonly trust: TrustStore;
  /** The leaf's SPIFFE ID when it is a checked X.509-SVID. */
  readonly spiffeId: SpiffeId | undefined;
  /** Where the anchors come from, for the explanation: "truststore.ca_files" or the trust domain. */
  readonly anchoredBy: string;
}

export function anchoringOf(leaf: Certificate, sources: TrustSources): Anchoring | Failure {
  const { trust, trustDomains } = sources;
  const plain: Anchoring = { ok: true, trust, spiffeId: undefined, anchoredBy: "truststore.ca_files" };
  if (!sources.spiffe) return plain;
  const svid = checkSvid(leaf);
  if (!svid.ok) return svid;
  if (svid.id === undefined) return plain;
  const { id } = svid;
  const domain = trustDomains.get(id.trustDomain);
  if (domain === undefined) {
    return fail(
      "TRUST_DOMAIN_MISMATCH",
      `${id.text} names trust domain ${id.trustDomain}, which is not configured (no [[trust_domain]] named ${JSON.stringify(id.trustDomain)})`,
      0,
      "trust-domain-not-configured",
    );
  }
  return { ok: true, trust: domain, spiffeId: id, anchoredBy: `trust domain ${id.trustDomain}` };
}

/** An SVID whose path does not reach its own domain's anchors; names the domain it does lead to, when one is evident. */
export function outsideTrustDomain(id: SpiffeId, chain: readonly Certificate[], sources: TrustSources, why: string): Failure {
  const others: [string, TrustStore][] = [...sources.trustDomains].filter(([name]) => name !== id.trustDomain);
  others.push(["(truststore.ca_files)", sources.trust]);
  const issuers = chain.map((certificate) => certificate.issuer.key);
  const elsewhere = others.find(([, store]) => issuers.some((issuer) => store.anchorsNamed(issuer).length > 0));
  const lead =
    elsewhere === undefined ? "" : `; it is issued under an anchor of ${elsewhere[0].startsWith("(") ? elsewhere[0] : `trust domain ${elsewhere[0]}`}`;
  return fail(
    "TRUST_DOMAIN_MISMATCH",
    `${id.text} names trust domain ${id.trustDomain}, but its chain does not lead to a ${id.trustDomain} anchor${lead} (${why})`,
    0,
    "outside-trust-domain",
  );
}
