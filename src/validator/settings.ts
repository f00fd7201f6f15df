// What a validator is told (ValidatorSettings, one name per knob as the config file
// spells it) and what it compiles from that once: the exempt contexts, the CN
// allow-list, the resource rules and who each admits, the SAN mappings, and the
// defaults for anything left out.
import { DEFAULTS } from "../defaults.ts";
import type { Purpose, VerifyOptions } from "../pki/path/validate.ts";
import type { Profile } from "../pki/path/profile.ts";
import type { TrustStore } from "../pki/path/trust-store.ts";
import type { RevocationMode } from "../pki/revocation/check.ts";
import { RevocationStore } from "../pki/revocation/store.ts";
import { compileExemptContexts, type ExemptContexts } from "../policy/exempt-context.ts";
import type { GrantSource } from "../policy/grants.ts";
import { compileIntermediateCnAllowList, type IntermediateCnAllowList } from "../policy/intermediate-cn.ts";
import { compilePrincipalPatterns, type PrincipalPatterns } from "../policy/principal-patterns.ts";
import { compileResourceRules, type ResourceRule, type ResourceRules } from "../policy/resource-rules.ts";
import type { PrincipalOptions } from "../principal/principal.ts";
import { compileSanMappings, type MappingRule, type SanMappings, type SanSource } from "../principal/san-mapping.ts";
import type { HeaderSemantics, ThumbprintMappings } from "../principal/thumbprint-mapping.ts";

export interface RevocationSettings {
  readonly mode: RevocationMode;
  readonly store: RevocationStore;
  readonly ocsp: boolean;
  readonly fetch: boolean;
}

export interface ValidatorSettings {
  readonly trust: TrustStore;
  readonly maxChainLength?: number;
  /** Larger presented certificates are refused before parsing. */
  readonly maxCertificateBytes?: number;
  /** Signature checks one path search may spend. */
  readonly maxPathChecks?: number;
  readonly allowSha1?: boolean;
  /** "rfc5280": section 4 nonconformance reported; "strict": refused. */
  readonly profile?: Profile;
  readonly purpose?: Purpose;
  /** RFC 5280 user-initial-policy-set; absent or empty: anyPolicy. */
  readonly requiredPolicies?: readonly string[];
  readonly intermediateCertValidation: {
    readonly enable: boolean;
    readonly certCns: readonly string[];
    readonly exemptContexts: readonly string[];
  };
  readonly principal: PrincipalOptions;
  /** [principal] source naming a SAN, and its mappings; absent: the CN names the principal (WSO2). */
  readonly principalMapping?: { readonly source: SanSource; readonly mappings: readonly MappingRule[] };
  /**
   * [[trust_domain]]: the anchors of each SPIFFE trust domain. An SVID verifies only
   * to its own domain's anchors; with domains configured, any other leaf only to `trust`.
   */
  readonly trustDomains?: ReadonlyMap<string, TrustStore>;
  /** [[resource.access_control]] in file order; empty or absent: every path needs a valid certificate. */
  readonly resourceAccess?: { readonly rules: readonly ResourceRule[]; readonly defaultAccess: "allow" | "deny" };
  readonly grants?: GrantSource;
  /** [client_certificate_based_authentication] when enabled. */
  readonly thumbprintMappings?: ThumbprintMappings;
  /** Without mappings, who may assert a user outside the CN check; absent: "7.2" (only a mapped certificate: nobody). */
  readonly headerSemantics?: HeaderSemantics;
  /** [revocation]: what to check and where the CRLs and OCSP answers are kept; absent: off. */
  readonly revocation?: RevocationSettings;
  /** Decoded certificates kept between requests (keyed by DER SHA-256). */
  readonly certificateCacheSize?: number;
  /** Whole decisions ([cache]); maxEntries 0 turns the decision cache off. */
  readonly cache?: { readonly maxEntries: number; readonly ttlSeconds: number };
  /** Told of every cache lookup, for metrics. */
  readonly onCacheLookup?: (cache: "certificate" | "decision", hit: boolean) => void;
}

/** The settings with every default applied and every table compiled, once per validator. */
export interface CompiledSettings {
  readonly settings: ValidatorSettings;
  readonly trust: TrustStore;
  readonly trustDomains: ReadonlyMap<string, TrustStore>;
  readonly maxChainLength: number;
  readonly maxCertificateBytes: number;
  readonly profile: Profile;
  readonly cnCheck: ValidatorSettings["intermediateCertValidation"];
  readonly exemptContexts: ExemptContexts;
  readonly allowList: IntermediateCnAllowList;
  readonly rules: ResourceRules;
  /** Each rule's trust_domains and principals, by rule index (undefined: the rule admits anyone). */
  readonly rulePrincipals: readonly (PrincipalPatterns | undefined)[];
  /** SVIDs are recognised and sent to their trust domain: [[trust_domain]] configured, or source = "uri_san". */
  readonly spiffe: boolean;
  readonly sanMappings: SanMappings | undefined;
  readonly revocation: RevocationSettings;
  readonly cache: { readonly maxEntries: number; readonly ttlSeconds: number };
  /** What path validation is told, but the time. */
  readonly verify: Omit<VerifyOptions, "at">;
}

function sanMappingsOf(settings: ValidatorSettings): SanMappings | undefined {
  const mapping = settings.principalMapping;
  if (mapping === undefined) return undefined;
  const compiled = compileSanMappings(mapping.source, mapping.mappings);
  // The config reader reports these with their keys; reaching here is a programmer error.
  if (!compiled.ok) throw new Error(`invalid principal mappings: ${compiled.problems.join("; ")}`);
  return compiled.mappings;
}

export function compileSettings(settings: ValidatorSettings): CompiledSettings {
  const rules = settings.resourceAccess?.rules ?? [];
  const maxChainLength = settings.maxChainLength ?? DEFAULTS.server.maxChainLength;
  const profile = settings.profile ?? DEFAULTS.truststore.profile;
  return {
    settings,
    trust: settings.trust,
    trustDomains: settings.trustDomains ?? new Map(),
    maxChainLength,
    maxCertificateBytes: settings.maxCertificateBytes ?? DEFAULTS.server.maxCertificateBytes,
    profile,
    cnCheck: settings.intermediateCertValidation,
    exemptContexts: compileExemptContexts(settings.intermediateCertValidation.exemptContexts),
    allowList: compileIntermediateCnAllowList(settings.intermediateCertValidation.certCns),
    rules: compileResourceRules(rules, settings.resourceAccess?.defaultAccess ?? DEFAULTS.resourceAccessControl.defaultAccess),
    rulePrincipals: rules.map((rule) => compilePrincipalPatterns(rule.trustDomains, rule.principals)),
    spiffe: (settings.trustDomains?.size ?? 0) > 0 || settings.principalMapping?.source === "uri_san",
    sanMappings: sanMappingsOf(settings),
    revocation: settings.revocation ?? { mode: "off", store: new RevocationStore(), ocsp: false, fetch: false },
    cache: settings.cache ?? DEFAULTS.cache,
    verify: {
      maxChainLength,
      allowSha1: settings.allowSha1 ?? DEFAULTS.truststore.allowSha1,
      profile,
      purpose: settings.purpose ?? "client",
      requiredPolicies: settings.requiredPolicies ?? [],
      maxPathChecks: settings.maxPathChecks ?? DEFAULTS.server.maxPathChecks,
    },
  };
}
