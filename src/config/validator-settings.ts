// Config + loaded trust material -> the core's ValidatorSettings.
import type { Purpose } from "../pki/path/validate.ts";
import { RevocationStore } from "../pki/revocation/store.ts";
import { staticGrantSource } from "../policy/grants.ts";
import type { TrustStore } from "../pki/path/trust-store.ts";
import type { ValidatorSettings } from "../validator/validator.ts";
import type { Config } from "./config.ts";

export function validatorSettings(
  config: Config,
  trust: TrustStore,
  purpose: Purpose = "client",
  store = new RevocationStore(),
  trustDomains: ReadonlyMap<string, TrustStore> = new Map(),
): ValidatorSettings {
  const { source, mappings } = config.principal;
  return {
    revocation: { mode: config.revocation.mode, store, ocsp: config.revocation.ocsp, fetch: config.revocation.fetch },
    trust,
    maxChainLength: config.server.maxChainLength,
    maxCertificateBytes: config.server.maxCertificateBytes,
    maxPathChecks: config.server.maxPathChecks,
    allowSha1: config.truststore.allowSha1,
    profile: config.truststore.profile,
    requiredPolicies: config.truststore.requiredPolicies,
    purpose,
    intermediateCnValidation: config.intermediateCertValidation,
    principal: { emailUsername: config.tenant.emailUsername },
    ...(source === "cn" ? {} : { principalMapping: { source, mappings } }),
    ...(trustDomains.size === 0 ? {} : { trustDomains }),
    decisionCache: config.cache,
    resourceAccess: { rules: config.accessControl.rules, defaultAccess: config.accessControl.defaultAccess },
    ...(config.accessControl.grants.length > 0 ? { grants: staticGrantSource(config.accessControl.grants, config.accessControl.roles) } : {}),
    ...(config.accessControl.thumbprintMappings === undefined ? {} : { thumbprintMappings: config.accessControl.thumbprintMappings }),
  };
}
