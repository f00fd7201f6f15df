import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AsnConvert } from "@peculiar/asn1-schema";
import { AttributeTypeAndValue, AttributeValue, Name, RelativeDistinguishedName } from "@peculiar/asn1-x509";
import { distinguishedNameFromDer } from "../../../src/pki/certificate/name.ts";

type Attr = [type: string, value: AttributeValue];
function name(...rdns: Attr[][]): Name {
  return new Name(rdns.map((rdn) => new RelativeDistinguishedName(rdn.map(([type, value]) => new AttributeTypeAndValue({ type, value })))));
}
const dn = (n: Name) => distinguishedNameFromDer(new Uint8Array(AsnConvert.serialize(n)));
const CN = "2.5.4.3";
const O = "2.5.4.10";
const utf8 = (s: string) => new AttributeValue({ utf8String: s });
const printable = (s: string) => new AttributeValue({ printableString: s });

describe("distinguishedName", () => {
  it("prints RFC 4514, most significant RDN last, escaping specials", () => {
    const decoded = dn(name([[O, utf8("certgate")]], [[CN, utf8("a,b+c")]]));
    assert.equal(decoded.text, "CN=a\\,b\\+c,O=certgate");
    assert.deepEqual(decoded.commonNames, ["a,b+c"]);
  });

  it("compares names as RFC 5280 7.1 does: case, spacing and string type do not matter", () => {
    const a = dn(name([[O, printable("CertGate")]], [[CN, utf8("  Intermediate   CA ")]]));
    const b = dn(name([[O, utf8("certgate")]], [[CN, printable("intermediate ca")]]));
    assert.equal(a.key, b.key);
  });

  it("treats a multi-valued RDN as a set, but RDN order as significant", () => {
    const ab = dn(
      name([
        [CN, utf8("x")],
        [O, utf8("y")],
      ]),
    );
    const ba = dn(
      name([
        [O, utf8("y")],
        [CN, utf8("x")],
      ]),
    );
    assert.equal(ab.key, ba.key);
    const swapped = dn(name([[CN, utf8("x")]], [[O, utf8("y")]]));
    const original = dn(name([[O, utf8("y")]], [[CN, utf8("x")]]));
    assert.notEqual(swapped.key, original.key);
  });

  it("lists every CN, so several CNs can be refused", () => {
    assert.deepEqual(
      dn(
        name([
          [CN, utf8("a")],
          [CN, utf8("b")],
        ]),
      ).commonNames,
      ["a", "b"],
    );
  });

  it("round-trips through DER unchanged", () => {
    const original = name([[O, utf8("certgate")]], [[CN, utf8("alice")]]);
    const back = AsnConvert.parse(AsnConvert.serialize(original), Name);
    assert.equal(dn(back).key, dn(original).key);
  });
});
