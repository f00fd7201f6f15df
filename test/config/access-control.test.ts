import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError } from "../../src/config/config.ts";
import { parseConfig } from "../../src/config/load.ts";

const BASE = `[truststore]\nca_files = ["ca.pem"]\n[intermediate_cert_validation]\ncert_cns = ["ca"]\n`;

function problems(text: string): readonly string[] {
  try {
    parseConfig(BASE + text, "t.toml", "/");
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.problems;
  }
  assert.fail("expected a ConfigError");
}

describe("access-control config", () => {
  it("reads rules with WSO2's template keys and the docs' aliases", () => {
    const config = parseConfig(
      BASE +
        `[[resource.access_control]]\ncontext = "(.*)/a(.*)"\nsecured = false\n[[resource.access_control]]\ncontext = "/b/*"\nsecure = true\nhttp_method = "Get, POST"\nscope = ["s"]\n[[authorization.grant]]\nuser = "x"\nscopes = ["s"]\n`,
      "t",
      "/",
    );
    const [a, b] = config.accessControl.rules;
    assert.equal(a!.secure, false);
    // WSO2 renders a missing http_method as http-method="": the rule matches no request, and a warning says so.
    assert.deepEqual(a!.methods, []);
    assert.match(config.warnings[0] ?? "", /^resource\.access_control\[0\] \(context "\(\.\*\)\/a\(\.\*\)"\) has no http_method, so it never matches/);
    assert.deepEqual(b!.methods, ["GET", "POST"]);
    assert.deepEqual(b!.scopes, ["s"]);
    assert.deepEqual(b!.allowedAuthHandlers, ["all"]);
    assert.equal(config.accessControl.defaultAccess, "deny");
  });

  it("reads WSO2's value forms: string booleans, comma-separated lists, default_access_allow, enable_email_domain", () => {
    const config = parseConfig(
      BASE +
        `[resource_access_control]\ndefault_access_allow = "true"\ndisable_scope_validation = false\n` +
        `[tenant_mgt]\nenable_email_domain = "true"\nenable_tenant_qualified_urls = true\n` +
        `[[resource.access_control]]\ncontext = "/a"\nsecure = "false"\nhttp_method = "all"\n` +
        `[[resource.access_control]]\ncontext = "/b"\nsecure = "true"\nhttp_method = "GET"\ncross_tenant = "true"\n` +
        `cross_access_allowed_tenants = "carbon.super, Partner.com"\nallowed_auth_handlers = "BasicClientAuthentication,ClientCertificate"\n`,
      "t",
      "/",
    );
    const [a, b] = config.accessControl.rules;
    assert.equal(a!.secure, false);
    assert.equal(b!.secure, true);
    assert.equal(b!.crossTenant, true);
    assert.deepEqual(b!.crossAccessAllowedTenants, ["carbon.super", "partner.com"]);
    assert.deepEqual(b!.allowedAuthHandlers, ["basicclientauthentication", "clientcertificate"]);
    assert.equal(config.accessControl.defaultAccess, "allow");
    assert.equal(config.tenant.emailUsername, true);
    assert.deepEqual(config.ignored, ["resource_access_control.disable_scope_validation", "tenant_mgt.enable_tenant_qualified_urls"]);
  });

  it("reads [client_certificate_based_authentication] as WSO2 IS 7.2 does, with header_semantics for IS 7.1", () => {
    const plain = parseConfig(BASE, "t", "/");
    assert.equal(plain.accessControl.headerSemantics, "7.2");
    const logged = parseConfig(BASE + `[client_certificate_based_authentication]\nenable = "false"\nlog_client_cert_info = true\n`, "t", "/");
    assert.equal(logged.accessControl.logClientCertInfo, true);
    assert.equal(logged.accessControl.thumbprintMappings, undefined);
    const legacy = parseConfig(BASE + `[client_certificate_based_authentication]\nheader_semantics = "7.1"\n`, "t", "/");
    assert.equal(legacy.accessControl.headerSemantics, "7.1");
  });

  const cases: [string, string, RegExp][] = [
    [
      "a string that is not a boolean",
      `[[resource.access_control]]\ncontext = "/a"\nhttp_method = "all"\nsecure = "yes"\n`,
      /^resource\.access_control\[0\]\.secure: must be true or false, found "yes"$/,
    ],
    ["both default_access and default_access_allow", `[resource_access_control]\ndefault_access = "deny"\ndefault_access_allow = true\n`, /not both/],
    ["an unknown header_semantics", `[client_certificate_based_authentication]\nheader_semantics = "7.0"\n`, /header_semantics: must be "7\.2"/],
    [
      "7.1 header semantics beside mappings",
      `[client_certificate_based_authentication]\nenable = true\nheader_semantics = "7.1"\n`,
      /"7\.1" trusts the header without mappings; enable = true uses the mappings: choose one/,
    ],
    [
      "secure and secured together",
      `[[resource.access_control]]\ncontext = "/a"\nsecure = true\nsecured = true\n`,
      /^resource\.access_control\[0\]: set secure or secured, not both$/,
    ],
    [
      "scopes and scope together",
      `[[resource.access_control]]\ncontext = "/a"\nscopes = ["a"]\nscope = ["b"]\n[[authorization.grant]]\nuser = "x"\n`,
      /^resource\.access_control\[0\]: set scopes or scope, not both$/,
    ],
    [
      "an invalid regex, naming the rule",
      `[[resource.access_control]]\ncontext = "/a"\n[[resource.access_control]]\ncontext = "(.*/b"\n`,
      /^resource\.access_control\[1\]\.context: "\(\.\*\/b" is not a valid regular expression/,
    ],
    [
      "permissions without a grant source",
      `[[resource.access_control]]\ncontext = "/a"\npermissions = ["/permission/admin"]\n`,
      /^resource\.access_control\[0\]: requires permissions or scopes but no \[\[authorization\.grant\]\]/,
    ],
    ["a bad http_method", `[[resource.access_control]]\ncontext = "/a"\nhttp_method = "get;post"\n`, /^resource\.access_control\[0\]\.http_method:/],
    ["a bad default_access", `[resource_access_control]\ndefault_access = "maybe"\n`, /^resource_access_control\.default_access:/],
    [
      "an unknown rule key",
      `[[resource.access_control]]\ncontext = "/a"\nsecurity = true\n`,
      /^resource\.access_control\[0\]\.security: unknown key; did you mean secure\?$/,
    ],
    [
      "a grant for an unknown role",
      `[[authorization.grant]]\nrole = "ghost"\n`,
      /^authorization\.grant\[0\]\.role: no \[\[authorization\.role\]\] named "ghost"$/,
    ],
    ["a grant for a malformed user", `[[authorization.grant]]\nuser = "A/B/c"\n`, /^authorization\.grant\[0\]\.user: username/],
    [
      "trusted_issuer = *",
      `[client_certificate_based_authentication]\nenable = true\n[[client_certificate_based_authentication.user_thumbprint_mapping]]\ntrusted_issuer = "*"\ncert_thumbprint = "*"\nallowed_username = ["*"]\n`,
      /user_thumbprint_mapping\[0\]\.trusted_issuer: must name an issuer DN/,
    ],
    [
      "a bad thumbprint",
      `[[client_certificate_based_authentication.system_thumbprint_mapping]]\ntrusted_issuer = "CN=x"\ncert_thumbprint = "abc"\nallowed_system_user = "svc"\n`,
      /system_thumbprint_mapping\[0\]\.cert_thumbprint: must be a SHA-256/,
    ],
  ];
  for (const [name, text, pattern] of cases) {
    it(`refuses ${name}`, () => {
      const found = problems(text);
      assert.ok(
        found.some((p) => pattern.test(p)),
        `${pattern} not in ${JSON.stringify(found)}`,
      );
    });
  }

  it("leaves mappings off unless enabled", () => {
    const config = parseConfig(
      BASE +
        `[[client_certificate_based_authentication.system_thumbprint_mapping]]\ntrusted_issuer = "CN=x"\ncert_thumbprint = "*"\nallowed_system_user = "svc"\n`,
      "t",
      "/",
    );
    assert.equal(config.accessControl.thumbprintMappings, undefined);
  });
});
