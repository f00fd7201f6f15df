// The proxies this machine cannot run (Traefik, ingress-nginx, Envoy's HTTP ext_authz):
// their shipped examples parse and set what certgate relies on, and requests built
// exactly as each proxy builds them get the right answers from a real listener.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { pino } from "pino";
import { parse, parseAllDocuments } from "yaml";
import { DEFAULTS } from "../../src/defaults.ts";
import { writeDevPki } from "../../src/devpki/dev-pki.ts";
import { PRESETS } from "../../src/forwarded/presets.ts";
import { startService, type Service } from "../../src/process/service.ts";
import { ask } from "../helpers/http-client.ts";

type Node = Record<string, unknown>;
const at = (node: unknown, ...path: (string | number)[]): unknown => path.reduce<unknown>((value, key) => (value as Node | undefined)?.[key as string], node);
const example = (path: string) => readFileSync(new URL(`../../examples/${path}`, import.meta.url), "utf8");
const PRINCIPAL_HEADERS = Object.values(DEFAULTS.extAuthz.headers);

const dir = mkdtempSync(join(tmpdir(), "certgate-formats-"));
/** The first certificate of a dev PKI file (a client's file holds its chain too): what a proxy forwards as the leaf. */
const pem = (name: string) => /-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----\n/.exec(readFileSync(join(dir, "pki", `${name}.pem`), "utf8"))![0];
const der = (name: string) => pem(name).replace(/-----[A-Z ]+-----|\s/g, "");

async function serve(proxy: string, extra = ""): Promise<Service> {
  const path = join(dir, `${proxy}.toml`);
  writeFileSync(
    path,
    `[server]\nlisten = "127.0.0.1:0"\n[metrics]\nlisten = ""\n[forward_auth]\nlisten = "127.0.0.1:0"\nproxy = "${proxy}"\n${extra}\n` +
      `[truststore]\nca_files = ["pki/root-ca.pem"]\nintermediate_files = ["pki/intermediate-ca.pem", "pki/rogue-intermediate-ca.pem"]\n` +
      `[intermediate_cert_validation]\ncert_cns = ["certgate-dev-intermediate"]\n[log]\nlevel = "warn"\n`,
  );
  return startService(path, pino({ level: "warn" }));
}

before(async () => {
  await writeDevPki(join(dir, "pki"), new Date());
});

describe("Traefik: examples/traefik/dynamic.yaml and passTLSClientCert's header", () => {
  const config = parse(example("traefik/dynamic.yaml")) as Node;
  let service: Service;
  before(async () => {
    service = await serve("traefik");
  });
  after(async () => service.stop());

  it("drops the client's certificate header, sets Traefik's, then asks certgate with only the headers it needs", () => {
    assert.deepEqual(at(config, "http", "routers", "app", "middlewares"), ["drop-client-cert-header", "client-cert", "certgate"]);
    assert.equal(at(config, "http", "middlewares", "drop-client-cert-header", "headers", "customRequestHeaders", "X-Forwarded-Tls-Client-Cert"), "");
    assert.equal(at(config, "http", "middlewares", "client-cert", "passTLSClientCert", "pem"), true);
    const forwardAuth = at(config, "http", "middlewares", "certgate", "forwardAuth") as Node;
    assert.equal(forwardAuth.trustForwardHeader, false);
    assert.deepEqual(
      (forwardAuth.authRequestHeaders as string[]).map((h) => h.toLowerCase()),
      [PRESETS.traefik.certHeader, DEFAULTS.extAuthz.userHeader],
    );
    assert.deepEqual(
      (forwardAuth.authResponseHeaders as string[]).map((h) => h.toLowerCase()),
      PRINCIPAL_HEADERS,
    );
  });

  it("allows the chain as Traefik sends it (base64 DER, comma-separated; URL-escaped in 2.8 to 2.9.1)", async () => {
    const chain = [der("client-john"), der("intermediate-ca")].join(",");
    for (const value of [chain, encodeURIComponent(chain)]) {
      const answer = await ask(service.forwardAuth!.address, {
        "X-Forwarded-Tls-Client-Cert": value,
        "X-Forwarded-Method": "GET",
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "app.example.com",
        "X-Forwarded-Uri": "/api/users?page=2",
        "X-Forwarded-For": "203.0.113.9",
      });
      assert.equal(answer.status, 200, answer.body);
      assert.equal(answer.headers["x-certgate-user"], "john");
    }
    const rogue = await ask(service.forwardAuth!.address, {
      "X-Forwarded-Tls-Client-Cert": der("client-rogue"),
      "X-Forwarded-Method": "GET",
      "X-Forwarded-Uri": "/",
    });
    assert.equal(rogue.headers["x-certgate-reason"], "INTERMEDIATE_CN_NOT_ALLOWED");
  });
});

describe("ingress-nginx: examples/ingress-nginx/ingress.yaml and its auth location's headers", () => {
  const [ingress] = parseAllDocuments(example("ingress-nginx/ingress.yaml")).map((doc) => doc.toJS() as Node);
  const annotations = at(ingress, "metadata", "annotations") as Record<string, string>;
  let service: Service;
  before(async () => {
    service = await serve("ingress-nginx");
  });
  after(async () => service.stop());

  it("passes the certificate to the auth request, asks certgate and copies every principal header", () => {
    assert.equal(annotations["nginx.ingress.kubernetes.io/auth-tls-pass-certificate-to-upstream"], "true");
    assert.equal(annotations["nginx.ingress.kubernetes.io/auth-tls-verify-client"], "optional_no_ca");
    assert.match(annotations["nginx.ingress.kubernetes.io/auth-url"]!, /^http:\/\/[^/]+:9191\//);
    const copied = annotations["nginx.ingress.kubernetes.io/auth-response-headers"]!.split(",").map((h) => h.trim().toLowerCase());
    assert.deepEqual(copied, PRINCIPAL_HEADERS);
  });

  it("allows the leaf as ingress-nginx sends it ($ssl_client_escaped_cert), the path and query of X-Original-URL", async () => {
    const answer = await ask(service.forwardAuth!.address, {
      "ssl-client-cert": encodeURIComponent(pem("client-john")),
      "ssl-client-verify": "FAILED:unable to verify the first certificate",
      "X-Original-URL": "https://app.example.com/api/users?x=1",
      "X-Original-Method": "GET",
      "X-Sent-From": "nginx-ingress-controller",
      "X-Auth-Request-Redirect": "/api/users?x=1",
    });
    assert.equal(answer.status, 200, answer.body);
    assert.equal(answer.headers["x-certgate-user"], "john");
  });
});

describe("Envoy's HTTP ext_authz: examples/envoy/envoy-http.yaml and what Envoy sends", () => {
  const config = parse(example("envoy/envoy-http.yaml")) as Node;
  const hcm = at(config, "static_resources", "listeners", 0, "filter_chains", 0, "filters", 0, "typed_config") as Node;
  const extAuthz = (hcm.http_filters as Node[]).find((filter) => filter.name === "envoy.filters.http.ext_authz")!.typed_config as Node;
  const prefix = at(extAuthz, "http_service", "path_prefix") as string;
  let service: Service;
  before(async () => {
    service = await serve("envoy", `path_prefix = "${prefix}"`);
  });
  after(async () => service.stop());

  it("sanitises XFCC, sends it and only it (with the asserted user), copies every principal header, fails closed", () => {
    assert.equal(hcm.forward_client_cert_details, "SANITIZE_SET");
    assert.equal(at(hcm, "set_current_client_cert_details", "chain"), true);
    const exact = (list: unknown) => (at(list, "patterns") as Node[]).map((pattern) => pattern.exact);
    assert.deepEqual(exact(extAuthz.allowed_headers), [PRESETS.envoy.certHeader, DEFAULTS.extAuthz.userHeader]);
    assert.deepEqual(exact(at(extAuthz, "http_service", "authorization_response", "allowed_upstream_headers")), PRINCIPAL_HEADERS);
    assert.equal(extAuthz.failure_mode_allow, false);
  });

  it("allows the original method and path after path_prefix, with the chain from XFCC", async () => {
    const leaf = Buffer.from(der("client-john"), "base64");
    const xfcc =
      `By=spiffe://cluster.local/ns/app/sa/front;Hash=${createHash("sha256").update(leaf).digest("hex")};` +
      `Cert="${encodeURIComponent(pem("client-john"))}";Chain="${encodeURIComponent(pem("client-john") + pem("intermediate-ca"))}";` +
      `Subject="CN=john,O=certgate";URI=;DNS=`;
    const answer = await ask(
      service.forwardAuth!.address,
      { "x-forwarded-client-cert": xfcc, "x-envoy-expected-rq-timeout-ms": "250" },
      { method: "POST", path: `${prefix}/api/users` },
    );
    assert.equal(answer.status, 200, answer.body);
    assert.equal(answer.headers["x-certgate-user"], "john");
    const outside = await ask(service.forwardAuth!.address, { "x-forwarded-client-cert": xfcc }, { path: "/api/users" });
    assert.equal(outside.headers["x-certgate-reason"], "INVALID_PROXY_HEADER");
  });
});
