// certgate's own certificates rotate without a restart, the way cert-manager and SPIRE
// renew them: the serving certificate and key are replaced, and the caller CA file
// gains a new CA. Under a steady load of calls, on a connection opened before and on
// new ones, no call fails; a new handshake sees the new certificate; a caller of the new
// CA gets in; a renewal caught half-written (a certificate without its key) changes
// nothing and is said in the log.
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "node:tls";
import { after, before, describe, it } from "node:test";
import * as grpc from "@grpc/grpc-js";
import { pino } from "pino";
import { startService, type Service } from "../../src/process/service.ts";
import { Authority, OID_CLIENT_AUTH, OID_SERVER_AUTH, type Issued } from "../../src/devpki/ca.ts";
import { KeyUsageFlags } from "../../src/devpki/x509.ts";
import { eventually } from "../helpers/cli-process.ts";
import { VALID, newPki, type TestPki } from "../helpers/pki.ts";
import { clientFor, unary } from "../helpers/server.ts";
import { logSink } from "../helpers/log-sink.ts";

type Client = grpc.Client & Record<string, Function>;

describe("rotating certgate's own certificates under load", () => {
  const dir = mkdtempSync(join(tmpdir(), "certgate-rotation-"));
  const put = (name: string, content: string) => writeFileSync(join(dir, name), content);
  const lines: Record<string, unknown>[] = [];
  let pki: TestPki;
  let serverCa: Authority;
  let callerCaA: Authority;
  let callerCaB: Authority;
  let service: Service;
  const serving = (ca: Authority) =>
    ca.issue({
      subject: "CN=localhost, O=certgate",
      ...VALID,
      ca: false,
      keyUsage: KeyUsageFlags.digitalSignature,
      extendedKeyUsage: [OID_SERVER_AUTH],
      dnsNames: ["localhost"],
      ipAddresses: ["127.0.0.1"],
    });
  const callerOf = (ca: Authority) =>
    ca.client({ subject: "CN=certgate-caller, O=certgate", ...VALID, extendedKeyUsage: [OID_CLIENT_AUTH], dnsNames: ["certgate-caller"] });
  let first: Issued;
  let second: Issued;
  let callerA: Issued;
  let callerB: Issued;

  const clientAs = async (caller: Issued): Promise<Client> =>
    clientFor(
      "certgate.v1.CertificateValidator",
      service.server.address,
      grpc.credentials.createSsl(Buffer.from(serverCa.pem), Buffer.from(await caller.privateKeyPem()), Buffer.from(caller.pem)),
    );
  const ask = async (client: Client) =>
    (await unary<{ reason: string }>(client, "Validate", { pem: (await pki.client("john")).pem + pki.intermediate.pem, context: "/", method: "GET" })).reason;

  /** The serial of the certificate a new TLS handshake is shown. */
  const servedSerial = async (): Promise<string> => {
    const [host, port] = [service.server.address.split(":")[0]!, Number(service.server.address.split(":")[1])];
    const key = await callerA.privateKeyPem();
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port, ca: serverCa.pem, cert: callerA.pem, key, ALPNProtocols: ["h2"], servername: "localhost" }, () => {
        resolve(socket.getPeerCertificate().serialNumber.toUpperCase());
        socket.destroy();
      });
      socket.on("error", reject);
    });
  };

  before(async () => {
    pki = await newPki();
    serverCa = await Authority.root({ subject: "CN=serving-ca, O=certgate", ...VALID });
    callerCaA = await Authority.root({ subject: "CN=caller-ca-a, O=certgate", ...VALID });
    callerCaB = await Authority.root({ subject: "CN=caller-ca-b, O=certgate", ...VALID });
    [first, second, callerA, callerB] = await Promise.all([serving(serverCa), serving(serverCa), callerOf(callerCaA), callerOf(callerCaB)]);
    put("server.pem", first.pem);
    put("server.key", await first.privateKeyPem());
    put("callers.pem", callerCaA.pem);
    put("root.pem", pki.root.pem);
    put(
      "deployment.toml",
      `[server]\nlisten = "127.0.0.1:0"\nallowed_caller_sans = ["certgate-caller"]\n[server.tls]\ncert_file = "server.pem"\nkey_file = "server.key"\n` +
        `client_ca_files = ["callers.pem"]\n[metrics]\nlisten = ""\n[truststore]\nca_files = ["root.pem"]\n[intermediate_cert_validation]\ncert_cns = ["certgate-dev-intermediate"]\n`,
    );
    const sink = logSink(lines);
    service = await startService(join(dir, "deployment.toml"), pino(sink));
  });
  after(async () => {
    await service.stop();
  });

  it("serves on through a renewal: no failed call, new handshakes see the new certificate, the new caller CA is honoured", async () => {
    const serial = (issued: Issued) => issued.cert.serialNumber.toUpperCase();
    assert.equal(await servedSerial(), serial(first));
    const newcomer = await clientAs(callerB);
    await assert.rejects(ask(newcomer), "a caller of a CA not yet in client_ca_files is refused");
    newcomer.close();

    // The load: one long-lived connection, opened before the renewal, and a new connection per round.
    const established = await clientAs(callerA);
    assert.equal(await ask(established), "OK");
    const failures: unknown[] = [];
    let calls = 0;
    let running = true;
    const load = (async () => {
      while (running) {
        const fresh = await clientAs(callerA);
        const rounds = await Promise.allSettled([ask(established), ask(established), ask(fresh)]);
        fresh.close();
        for (const round of rounds) {
          calls++;
          if (round.status === "rejected" || round.value !== "OK") failures.push(round.status === "rejected" ? round.reason : round.value);
        }
      }
    })();

    await new Promise((resolve) => setTimeout(resolve, 200));
    // A renewal caught half-written: the new certificate is there, its key not yet.
    put("server.pem", second.pem);
    await eventually(() => lines.some((line) => line.msg === "reload refused; the previous configuration stays in use"));
    assert.equal(await servedSerial(), serial(first), "the half-written renewal changed nothing");
    // The renewal completes, and the caller CA file gains the new CA.
    put("server.key", await second.privateKeyPem());
    put("callers.pem", callerCaA.pem + callerCaB.pem);
    await eventually(async () => (await servedSerial()) === serial(second));
    await new Promise((resolve) => setTimeout(resolve, 300));
    running = false;
    await load;

    assert.deepEqual(failures, []);
    assert.ok(calls > 20, `${calls} calls`);
    assert.equal(await ask(established), "OK", "the connection opened before the renewal still answers");
    const renewedCaller = await clientAs(callerB);
    assert.equal(await ask(renewedCaller), "OK");
    renewedCaller.close();
    established.close();
  });
});
