// A server starts whole or not at all: every listener (gRPC, health, metrics) is
// opened before health reports SERVING, and when one cannot be opened the process
// closes the others and exits 1 with one line naming the listener, its key and the
// address - no stack trace, no line of grpc-js's own.
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { DEFAULTS } from "../../src/defaults.ts";
import { startServer } from "../../src/grpc/server.ts";
import { createValidator } from "../../src/validator/validator.ts";
import { runCertgate } from "../helpers/cli-process.ts";
import { AT, newPki, type TestPki } from "../helpers/pki.ts";
import { settingsFor } from "../helpers/scenarios.ts";
import { clientFor, descriptors, unary } from "../helpers/server.ts";

describe("listeners", () => {
  const dir = mkdtempSync(join(tmpdir(), "certgate-listeners-"));
  let pki: TestPki;
  let taken: Server;
  let port: number;
  before(async () => {
    pki = await newPki();
    writeFileSync(join(dir, "root.pem"), pki.root.pem);
    taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    port = (taken.address() as { port: number }).port;
  });
  after(() => taken.close());

  const cases: { listener: string; key: string; toml: (busy: string) => string }[] = [
    { listener: "gRPC", key: "server.listen", toml: (busy) => `[server]\nlisten = "${busy}"\n[metrics]\nlisten = ""\n` },
    {
      listener: "health checks",
      key: "health.listen",
      toml: (busy) => `[server]\nlisten = "127.0.0.1:0"\n[health]\nlisten = "${busy}"\n[metrics]\nlisten = ""\n`,
    },
    {
      listener: "metrics",
      key: "metrics.listen",
      toml: (busy) => `[server]\nlisten = "127.0.0.1:0"\n[health]\nlisten = "127.0.0.1:0"\n[metrics]\nlisten = "${busy}"\n`,
    },
  ];
  for (const { listener, key, toml } of cases) {
    it(`exits 1 with one line naming the ${listener} listener when ${key} is taken`, { timeout: 30_000 }, async () => {
      const busy = `127.0.0.1:${port}`;
      const config = join(dir, `${key}.toml`);
      writeFileSync(config, `${toml(busy)}[truststore]\nca_files = ["root.pem"]\n[intermediate_cert_validation]\ncert_cns = ["certgate-dev-intermediate"]\n`);
      const { code, stderr } = await runCertgate(["serve", "--config", config]);
      assert.equal(code, 1);
      assert.equal(stderr, `certgate: cannot listen on ${busy} for ${listener} (${key}): address already in use (another process listens there)\n`);
    });
  }

  it("reports NOT_SERVING until every listener is open", async () => {
    const server = await startServer(
      { listen: "127.0.0.1:0", maxRequestBytes: 65536, extAuthz: () => DEFAULTS.extAuthz, descriptors },
      { validator: () => createValidator(settingsFor(pki)), now: () => AT, onDecision: () => undefined, onError: () => undefined },
    );
    const health = clientFor("grpc.health.v1.Health", server.address);
    try {
      assert.equal((await unary<{ status: string }>(health, "Check", {})).status, "NOT_SERVING");
      server.setServing();
      assert.equal((await unary<{ status: string }>(health, "Check", {})).status, "SERVING");
    } finally {
      health.close();
      await server.shutdown(1000);
    }
  });
});
