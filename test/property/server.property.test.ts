// Random and mutated input into the running server: every call is answered, in
// time, and nothing but the generator's own valid chain is ever allowed.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import * as grpc from "@grpc/grpc-js";
import fc from "fast-check";
import { decodePemChain } from "../../src/pki/pem.ts";
import { chainFromXfcc } from "../../src/forwarded/xfcc.ts";
import { AT } from "../helpers/pki.ts";
import { buildScenarios, settingsFor } from "../helpers/scenarios.ts";
import { clientFor, startTestServer, unary, type TestServer } from "../helpers/server.ts";

const RUNS = { numRuns: 150 };
const TIME_BOUND_MS = 2000;
const CONTRACT_CODES = new Set([grpc.status.INVALID_ARGUMENT, grpc.status.RESOURCE_EXHAUSTED]);

describe("the running server under random input", async () => {
  const { pki, scenarios } = await buildScenarios();
  const validPem = (scenarios[0]!.chain as { pem: string }).pem;
  let test: TestServer;
  let validate: ReturnType<typeof clientFor>;
  let check: ReturnType<typeof clientFor>;
  before(async () => {
    test = await startTestServer(settingsFor(pki), AT);
    validate = clientFor("certgate.v1.CertificateValidator", test.server.address);
    check = clientFor("envoy.service.auth.v3.Authorization", test.server.address);
  });
  after(async () => {
    validate.close();
    check.close();
    await test.close();
  });

  async function answered<T>(call: Promise<T>): Promise<T | undefined> {
    const started = performance.now();
    try {
      return await call;
    } catch (error) {
      assert.ok(CONTRACT_CODES.has((error as grpc.ServiceError).code), `unexpected gRPC error ${(error as grpc.ServiceError).code}`);
      return undefined;
    } finally {
      assert.ok(performance.now() - started < TIME_BOUND_MS, "answered too slowly");
    }
  }

  const validDer = decodePemChain(validPem);
  const sameChain = (pem: string) => {
    const decoded = decodePemChain(pem);
    return (
      decoded.ok &&
      validDer.ok &&
      decoded.certificates.length === validDer.certificates.length &&
      decoded.certificates.every((der, i) => Buffer.from(der).equals(Buffer.from(validDer.certificates[i]!)))
    );
  };
  const mutatedPem = fc
    .tuple(fc.nat(validPem.length - 1), fc.string({ minLength: 1, maxLength: 1 }))
    .map(([at, c]) => validPem.slice(0, at) + c + validPem.slice(at + 1));
  const path = fc.oneof(fc.string(), fc.constantFrom("/api/users", "/scim2/Users", "/t/x/dcr", "/%2e%2e/", "/a%00"));

  it("Validate: random DER, random and mutated PEM, random paths and users", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.array(fc.uint8Array({ maxLength: 600 }), { minLength: 1, maxLength: 4 }).map((der) => ({ der: der.map((d) => Buffer.from(d)) })),
          fc.string({ maxLength: 2000 }).map((pem) => ({ pem: pem || "x" })),
          mutatedPem.map((pem) => ({ pem })),
        ),
        path,
        fc.option(fc.string({ maxLength: 40 })),
        async (chain, context, user) => {
          const response = await answered(
            unary<{ allowed: boolean; reason: string }>(validate, "Validate", {
              ...chain,
              context,
              method: "GET",
              ...(user === null ? {} : { user_header: user }),
            }),
          );
          // The oracle: only text that still carries the valid chain's exact DER may pass (a mutated newline can).
          if (response?.allowed) assert.ok("pem" in chain && sameChain(chain.pem), `allowed a generated chain (${response.reason})`);
        },
      ),
      RUNS,
    );
  });

  it("Check: random and mutated XFCC, peer certificates and header maps", async () => {
    const xfcc = fc.oneof(
      fc.string({ maxLength: 500 }),
      mutatedPem.map((pem) => `Hash=00;Chain="${encodeURIComponent(pem)}"`),
      mutatedPem.map((pem) => `Cert=${pem}`),
    );
    await fc.assert(
      fc.asyncProperty(xfcc, fc.option(fc.string({ maxLength: 300 })), path, async (header, peer, context) => {
        const request = {
          attributes: {
            source: peer === null ? {} : { certificate: peer },
            request: { http: { method: "GET", path: context, headers: [{ key: "x-forwarded-client-cert", value: header }] } },
          },
        };
        const response = await answered(unary<{ status: { code: number } }>(check, "Check", request));
        if (response?.status.code === 0) {
          const carried = chainFromXfcc(header, 16);
          const valid = validDer.ok ? validDer.certificates : [];
          assert.ok(
            carried?.ok &&
              carried.certificates.length === valid.length &&
              carried.certificates.every((der, i) => Buffer.from(der).equals(Buffer.from(valid[i]!))),
            "allowed a generated header",
          );
        }
      }),
      RUNS,
    );
  });

  it("logged no internal error", () => {
    assert.deepEqual(test.errors, []);
  });
});
