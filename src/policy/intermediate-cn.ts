// The intermediate-CN allow-list (WSO2 [intermediate_cert_validation] cert_cns):
// the CA that signed the leaf must carry one of the listed CNs, compared exactly.
import { fail, type Failure } from "../reason.ts";

export interface IntermediateCnAllowList {
  check(issuer: { readonly commonNames: readonly string[]; readonly name: string; readonly certIndex: number }): Failure | undefined;
}

export function compileIntermediateCnAllowList(certCns: readonly string[]): IntermediateCnAllowList {
  const allowed = new Set(certCns);
  return {
    check(issuer) {
      // An issuer with several CNs is refused rather than matched on any one of them.
      const [cn, ...others] = issuer.commonNames;
      if (cn !== undefined && others.length === 0 && allowed.has(cn)) return undefined;
      return fail("INTERMEDIATE_CN_NOT_ALLOWED", `issuing CA "${issuer.name}" is not in intermediate_cert_validation.cert_cns`, issuer.certIndex);
    },
  };
}
