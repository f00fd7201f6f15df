import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { before, describe, it } from "node:test";
import { chainFromClientCertFields } from "../../src/forwarded/client-cert-field.ts";
import { chainFromXfcc, parseXfcc, type XfccElement } from "../../src/forwarded/xfcc.ts";
import { newPki, type TestPki } from "../helpers/pki.ts";

const hex = (der: Uint8Array) => Buffer.from(der).toString("hex");
/** Envoy >= 1.x: encodeURIComponent-style, every reserved character encoded. */
const fullyEncoded = (pem: string) => encodeURIComponent(pem);
/** Older Envoy: only a few characters (newline, space) encoded; + / = left as they are. */
const lightlyEncoded = (pem: string) => pem.replace(/\n/g, "%0A").replace(/ /g, "%20");

function elements(header: string): XfccElement[] {
  const parsed = parseXfcc(header, 16);
  assert.ok(Array.isArray(parsed), JSON.stringify(parsed));
  return parsed;
}

describe("parseXfcc", () => {
  it("reads Envoy's documented example, quirks included", () => {
    const header =
      "By=spiffe://cluster.local/ns/default/sa/frontend;Hash=468ed33be74eee6556d90c0149c1309e9ba61d6425303443c0748a02dd8de688;" +
      'Subject="/C=US/ST=CA/L=San Francisco/OU=Lyft/CN=Test Client";URI=spiffe://lyft.com/test-team;DNS=a.example;DNS=b.example';
    const [element] = elements(header);
    assert.equal(element!.get("by")?.[0], "spiffe://cluster.local/ns/default/sa/frontend");
    assert.equal(element!.get("subject")?.[0], "/C=US/ST=CA/L=San Francisco/OU=Lyft/CN=Test Client");
    assert.deepEqual(element!.get("dns"), ["a.example", "b.example"]);
  });

  it("splits elements on commas outside quotes and keeps keys case-insensitive", () => {
    const parsed = elements('by=http://a;SUBJECT="CN=x, O=y";URI=spiffe://one,By=http://b;Hash=ab');
    assert.equal(parsed.length, 2);
    assert.equal(parsed[0]!.get("subject")?.[0], "CN=x, O=y");
    assert.equal(parsed[1]!.get("hash")?.[0], "ab");
  });

  it("unescapes \\\" in quoted values and keeps a raw quote that closes nothing (Envoy's Subject)", () => {
    assert.equal(elements('Subject="CN=a\\"b";By=x')[0]!.get("subject")?.[0], 'CN=a"b');
    assert.equal(elements('Subject="CN=O"Brien,O=x";By=x')[0]!.get("subject")?.[0], 'CN=O"Brien,O=x');
  });

  it("keeps ; and , inside an unquoted URI when no Key= follows them", () => {
    assert.equal(elements("URI=spiffe://x/a;b,c;Hash=00")[0]!.get("uri")?.[0], "spiffe://x/a;b,c");
  });

  const malformed: [string, string][] = [
    ["a missing key", "=value"],
    ["an unterminated quote", 'Subject="CN=x;By=y'],
    ["garbage after a quoted value", 'Subject="x"y;By=z'],
    ["too many elements", Array.from({ length: 17 }, (_, i) => `By=a${i}`).join(",")],
  ];
  for (const [name, header] of malformed) {
    it(`refuses ${name} with MALFORMED_CERTIFICATE`, () => {
      const parsed = parseXfcc(header, 16);
      assert.ok(!Array.isArray(parsed) && parsed.reason === "MALFORMED_CERTIFICATE");
    });
  }
});

describe("chainFromXfcc", () => {
  let pki: TestPki;
  let leafPem: string;
  let leafDer: Uint8Array;
  before(async () => {
    pki = await newPki();
    const leaf = await pki.client("alice");
    leafPem = leaf.pem;
    leafDer = leaf.der;
  });

  for (const [name, encode] of [
    ["fully", fullyEncoded],
    ["lightly (older Envoy)", lightlyEncoded],
  ] as const) {
    it(`takes Chain= from the last element, ${name} URL-encoded`, () => {
      const header = `By=spiffe://front;Cert="${encode(pki.root.pem)}",By=spiffe://sidecar;Hash=${createHash("sha256").update(leafDer).digest("hex")};Chain="${encode(leafPem + pki.intermediate.pem)}";Subject="CN=alice,O=certgate"`;
      const chain = chainFromXfcc(header, 16);
      assert.ok(chain?.ok);
      assert.deepEqual(chain.certificates.map(hex), [hex(leafDer), hex(pki.intermediate.der)]);
    });
  }

  it("falls back to Cert= when there is no Chain=", () => {
    const chain = chainFromXfcc(`Hash=00;Cert=${fullyEncoded(leafPem)}`.replace("Hash=00;", ""), 16);
    assert.ok(chain?.ok);
    assert.deepEqual(chain.certificates.map(hex), [hex(leafDer)]);
  });

  it("returns nothing when the last element carries no certificate", () => {
    assert.equal(chainFromXfcc(`Cert=${fullyEncoded(leafPem)},By=spiffe://x;Hash=ab`, 16), undefined);
  });

  const refused: [string, () => string][] = [
    ["a Hash that is not the leaf's", () => `Hash=${"0".repeat(64)};Cert=${fullyEncoded(leafPem)}`],
    ["bad URL encoding", () => `Cert=%E0%A4%A;By=x`],
    ["a Cert that is not PEM", () => `Cert=${encodeURIComponent("hello")}`],
    ["Cert twice in one element", () => `Cert=${fullyEncoded(leafPem)};Cert=${fullyEncoded(leafPem)}`],
  ];
  for (const [name, header] of refused) {
    it(`refuses ${name} with MALFORMED_CERTIFICATE`, () => {
      const chain = chainFromXfcc(header(), 16);
      assert.ok(chain !== undefined && !chain.ok && chain.reason === "MALFORMED_CERTIFICATE", JSON.stringify(chain));
    });
  }
});

describe("RFC 9440 fields and single-certificate headers", () => {
  let pki: TestPki;
  before(async () => {
    pki = await newPki();
  });
  const sf = (der: Uint8Array) => `:${Buffer.from(der).toString("base64")}:`;

  it("reads Client-Cert and Client-Cert-Chain", () => {
    const chain = chainFromClientCertFields(sf(pki.intermediate.der), `${sf(pki.root.der)}, ${sf(pki.root.der)}`, 8);
    assert.ok(chain?.ok);
    assert.deepEqual(chain.certificates.map(hex), [pki.intermediate.der, pki.root.der, pki.root.der].map(hex));
  });

  it("ignores Client-Cert-Chain without Client-Cert, and refuses what is not a byte sequence", () => {
    assert.equal(chainFromClientCertFields(undefined, sf(pki.root.der), 8), undefined);
    const bad = chainFromClientCertFields(Buffer.from(pki.root.der).toString("base64"), undefined, 8);
    assert.ok(bad !== undefined && !bad.ok && bad.reason === "MALFORMED_CERTIFICATE");
    const badItem = chainFromClientCertFields(sf(pki.root.der), ":not base64!:", 8);
    assert.ok(badItem !== undefined && !badItem.ok && badItem.reason === "MALFORMED_CERTIFICATE");
  });
});
