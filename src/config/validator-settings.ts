// Config + loaded trust material -> the core's ValidatorSettings, each knob under the
// name the config file gives it.
import type { Purpose } from "../pki/path/validate.ts";
import type { TrustStore } from "../pki/path/trust-store.ts";
import { RevocationStore } from "../pki/revocation/store.ts";
import { staticGrantSource } from "../policy/grants.ts";
import type { ValidatorSettings } from "../validator/settings.ts";
import type { Config } from "./config.ts";

export interface TrustMaterial {
  readonly trust: TrustStore;
  /** One store per [[trust_domain]]; absent: none. */
  readonly trustDomains?: ReadonlyMap<string, TrustStore>;
  /** Where CRLs and OCSP answers are kept; absent: an empty one. */
  readonly store?: RevocationStore;
  /** Default "client" (TLS client authentication); `certgate verify --purpose` may say otherwise. */
  readonly purpose?: Purpose;
}

export function validatorSettings(config: Config, material: TrustMaterial): ValidatorSettings {
  const { source, mappings } = config.principal;
  const { accessControl, revocation } = config;
  const trustDomains = material.trustDomains ?? new Map<string, TrustStore>();
  return {
    trust: material.trust,
    maxChainLength: config.server.maxChainLength,
    maxCertificateBytes: config.server.maxCertificateBytes,
    maxPathChecks: config.server.maxPathChecks,
    allowSha1: config.truststore.allowSha1,
    profile: config.truststore.profile,
    requiredPolicies: config.truststore.requiredPolicies,
    purpose: material.purpose ?? "client",
    intermediateCertValidation: config.intermediateCertValidation,
    principal: { emailUsername: config.tenant.emailUsername },
    ...(source === "cn" ? {} : { principalMapping: { source, mappings } }),
    ...(trustDomains.size === 0 ? {} : { trustDomains }),
    cache: config.cache,
    revocation: { mode: revocation.mode, store: material.store ?? new RevocationStore(), ocsp: revocation.ocsp, fetch: revocation.fetch },
    resourceAccess: { rules: accessControl.rules, defaultAccess: accessControl.defaultAccess },
    ...(accessControl.grants.length > 0 ? { grants: staticGrantSource(accessControl.grants, accessControl.roles) } : {}),
    ...(accessControl.thumbprintMappings === undefined ? {} : { thumbprintMappings: accessControl.thumbprintMappings }),
    headerSemantics: accessControl.headerSemantics,
  };
}
