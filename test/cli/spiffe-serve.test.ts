// examples/spiffe/certgate.toml on the dev PKI, served by the real `certgate serve`
// and called over gRPC the way a user and Envoy do: mapped SVIDs, the forged
// cross-domain SVID, rule pinning, and a broken bundle at start and on reload.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { eventually, runCertgate, serveCertgate, type ServingProcess } from "../helpers/cli-process.ts";
import { clientFor, unary } from "../helpers/server.ts";

interface Answer {
  reason: string;
  allowed: boolean;
  http_status: number;
  principal: { qualified_username: string; spiffe_id: string } | null;
}
interface CheckAnswer {
  status: { code: number; message: string };
  ok_response?: { headers: { header: { key: string; value: string } }[]; headers_to_remove: string[] };
}

describe("examples/spiffe/certgate.toml served on the dev PKI", () => {
  // The example's own layout: examples/spiffe/ next to certs/dev/.
  const root = mkdtempSync(join(tmpdir(), "certgate-spiffe-"));
  const devDir = join(root, "certs", "dev");
  const configFile = join(root, "examples", "spiffe", "certgate.toml");
  const bundleFile = join(devDir, "certgate.dev.bundle.json");
  let server: ServingProcess;
  let validator: ReturnType<typeof clientFor>;
  let authorization: ReturnType<typeof clientFor>;
  const pem = (name: string) => readFileSync(join(devDir, `${name}.pem`), "utf8");
  const validate = (name: string, context: string) => unary<Answer>(validator, "Validate", { pem: pem(name), context, method: "GET" });
  const check = (name: string, path: string, peer?: string) =>
    unary<CheckAnswer>(authorization, "Check", {
      attributes: {
        source: peer === undefined ? {} : { principal: peer },
        request: {
          http: {
            method: "GET",
            path,
            headers: [{ key: "x-forwarded-client-cert", value: `By=spiffe://certgate.dev/ns/default/sa/api;Chain="${encodeURIComponent(pem(name))}"` }],
          },
        },
      },
    });

  before(async () => {
    const certs = await runCertgate(["certs", "--out", devDir]);
    assert.equal(certs.code, 0, certs.stderr);
    mkdirSync(join(root, "examples", "spiffe"), { recursive: true });
    const example = readFileSync(new URL("../../examples/spiffe/certgate.toml", import.meta.url), "utf8");
    // Its own ports, so that it runs beside npm start and the docs' commands.
    const ephemeral = example.replace('listen = "127.0.0.1:50061"', 'listen = "127.0.0.1:0"').replace('listen = "127.0.0.1:9461"', 'listen = ""');
    assert.notEqual(ephemeral, example);
    writeFileSync(configFile, ephemeral);
    server = await serveCertgate(configFile);
    validator = clientFor("certgate.v1.CertificateValidator", server.address);
    authorization = clientFor("envoy.service.auth.v3.Authorization", server.address);
  });
  after(() => {
    validator?.close();
    authorization?.close();
    if (server?.child.exitCode === null) server.child.kill("SIGKILL");
  });

  it("allows a certgate.dev SVID with its mapped principal and SPIFFE ID over Validate", async () => {
    const answer = await validate("svid-frontend", "/api/payments/charge");
    assert.equal(answer.reason, "OK");
    assert.equal(answer.principal?.qualified_username, "SPIFFE/frontend@default.svc");
    assert.equal(answer.principal?.spiffe_id, "spiffe://certgate.dev/ns/default/sa/frontend");
  });

  it("allows it over ext_authz Check and sends the principal and SPIFFE ID upstream", async () => {
    const answer = await check("svid-frontend", "/api/payments/charge");
    assert.equal(answer.status.code, 0, answer.status.message);
    const headers = new Map(answer.ok_response!.headers.map(({ header }) => [header.key, header.value]));
    assert.equal(headers.get("x-certgate-spiffe-id"), "spiffe://certgate.dev/ns/default/sa/frontend");
    assert.equal(headers.get("x-certgate-qualified-user"), "SPIFFE/frontend@default.svc");
  });

  it("refuses the forged SVID (partner.dev's CA minting a certgate.dev ID) over Validate and Check", async () => {
    const answer = await validate("svid-forged", "/api/orders");
    assert.equal(answer.reason, "TRUST_DOMAIN_MISMATCH");
    assert.equal(answer.http_status, 401);
    const denied = await check("svid-forged", "/api/orders");
    assert.equal(denied.status.code, 16);
    assert.equal(denied.status.message, "TRUST_DOMAIN_MISMATCH");
  });

  it("refuses when Envoy's source principal is a different workload", async () => {
    assert.equal((await check("svid-frontend", "/api/orders", "spiffe://certgate.dev/ns/default/sa/frontend")).status.code, 0);
    const denied = await check("svid-frontend", "/api/orders", "spiffe://partner.dev/ns/billing/sa/invoicer");
    assert.equal(denied.status.message, "TRUST_DOMAIN_MISMATCH");
  });

  it("lets partner.dev into the open rule but not into the rule pinned to certgate.dev", async () => {
    assert.equal((await validate("svid-partner", "/api/orders")).reason, "OK");
    const pinned = await validate("svid-partner", "/api/payments/charge");
    assert.equal(pinned.reason, "PRINCIPAL_NOT_ALLOWED");
    assert.equal(pinned.http_status, 403);
  });

  it("admits only the rule's principal pattern on /api/admin", async () => {
    assert.equal((await validate("svid-frontend", "/api/admin/users")).reason, "PRINCIPAL_NOT_ALLOWED");
    assert.equal((await check("svid-frontend", "/api/admin/users")).status.message, "PRINCIPAL_NOT_ALLOWED");
  });

  it("keeps the old trust domains when the bundle file breaks, and takes the fixed one", async () => {
    const good = readFileSync(bundleFile, "utf8");
    writeFileSync(bundleFile, '{"keys": [{"kty": "EC", "use": "x509-svid"}]}');
    await eventually(() => server.lines.some((line) => line.includes("reload refused") && line.includes("bundle_file")));
    const refusal = server.lines.find((line) => line.includes("reload refused"));
    assert.match(refusal ?? "", /trust_domain\[0\]\.bundle_file .*exactly one certificate in x5c/);
    assert.equal((await validate("svid-frontend", "/api/orders")).reason, "OK");
    const reloads = server.lines.filter((line) => line.includes('"msg":"configuration reloaded')).length;
    writeFileSync(bundleFile, good);
    await eventually(() => server.lines.filter((line) => line.includes('"msg":"configuration reloaded')).length > reloads);
    assert.equal((await validate("svid-frontend", "/api/orders")).reason, "OK");
  });

  it("refuses to start on a broken bundle, naming the key, with exit code 2", async () => {
    const broken = join(root, "broken.bundle.json");
    writeFileSync(broken, "not json");
    const config = join(root, "examples", "spiffe", "broken.toml");
    writeFileSync(config, readFileSync(configFile, "utf8").replace("../../certs/dev/certgate.dev.bundle.json", "../../broken.bundle.json"));
    const { code, stdout } = await runCertgate(["serve", "--config", config]);
    assert.equal(code, 2);
    assert.match(stdout, /trust_domain\[0\]\.bundle_file \(.*broken\.bundle\.json\): not a usable SPIFFE bundle: not JSON/);
  });
});
