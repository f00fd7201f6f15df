// In-memory certificate authority for the dev PKI, the tests and benchmarks.
// Issuing code lives here once so `certgate certs` and the tests generate the same
// shapes of certificate (go-spiffe's internal/test/ca.go is the model).
import { KeyObject, constants, sign, webcrypto } from "node:crypto";
import { AsnConvert } from "@peculiar/asn1-schema";
import { Certificate as AsnCertificate, type TBSCertificate } from "@peculiar/asn1-x509";
import * as x509 from "./x509.ts";

type CryptoKeyPair = webcrypto.CryptoKeyPair;
type Algorithm = webcrypto.Algorithm;

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export type KeyAlgorithm = "ecdsa-p256" | "ecdsa-p384" | "ecdsa-p521" | "rsa-2048" | "rsa-pss-2048" | "ed25519";
export type HashAlgorithm = "SHA-1" | "SHA-256" | "SHA-384" | "SHA-512";

export const OID_CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
export const OID_SERVER_AUTH = "1.3.6.1.5.5.7.3.1";

export interface IssueOptions {
  /** RFC 4514 subject, e.g. "CN=alice, O=certgate". */
  readonly subject: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly serialNumber?: string;
  /** Absent: no basicConstraints extension at all. */
  readonly ca?: boolean;
  readonly pathLength?: number;
  /** Absent: no keyUsage extension. */
  readonly keyUsage?: x509.KeyUsageFlags;
  /** Absent: no extendedKeyUsage extension. */
  readonly extendedKeyUsage?: readonly string[];
  readonly dnsNames?: readonly string[];
  readonly uris?: readonly string[];
  readonly ipAddresses?: readonly string[];
  readonly emails?: readonly string[];
  /** CRL distribution point and OCSP responder URLs to embed. */
  readonly crlUrls?: readonly string[];
  readonly ocspUrls?: readonly string[];
  /** Added after the defaults; one with the OID of a default extension replaces it (to issue defects). */
  readonly extraExtensions?: readonly x509.Extension[];
  /** Default extensions to leave out, by OID (e.g. the key identifiers, to issue a defect). */
  readonly omitExtensions?: readonly string[];
  readonly keyAlgorithm?: KeyAlgorithm;
  readonly hash?: HashAlgorithm;
  /** Reuse an existing key pair (cross-signing, key-rollover tests). */
  readonly keys?: CryptoKeyPair;
}

export interface Issued {
  readonly cert: x509.X509Certificate;
  readonly keys: CryptoKeyPair;
  readonly keyAlgorithm: KeyAlgorithm;
  readonly der: Uint8Array;
  readonly pem: string;
  /** PKCS#8 PEM of the private key. */
  privateKeyPem(): Promise<string>;
}

const KEY_PARAMS: Record<KeyAlgorithm, webcrypto.RsaHashedKeyGenParams | webcrypto.EcKeyGenParams | Algorithm> = {
  "ecdsa-p256": { name: "ECDSA", namedCurve: "P-256" },
  "ecdsa-p384": { name: "ECDSA", namedCurve: "P-384" },
  "ecdsa-p521": { name: "ECDSA", namedCurve: "P-521" },
  "rsa-2048": { name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" },
  "rsa-pss-2048": { name: "RSA-PSS", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" },
  ed25519: { name: "Ed25519" },
};

export async function generateKeys(algorithm: KeyAlgorithm): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(KEY_PARAMS[algorithm], true, ["sign", "verify"])) as CryptoKeyPair;
}

function signingAlgorithm(algorithm: KeyAlgorithm, hash: HashAlgorithm): Algorithm {
  switch (algorithm) {
    case "ecdsa-p256":
    case "ecdsa-p384":
    case "ecdsa-p521":
      return { name: "ECDSA", hash } as webcrypto.EcdsaParams;
    case "rsa-2048":
      return { name: "RSASSA-PKCS1-v1_5", hash } as webcrypto.RsaHashedImportParams;
    case "rsa-pss-2048":
      return { name: "RSA-PSS", hash, saltLength: 32 } as webcrypto.RsaPssParams;
    case "ed25519":
      return { name: "Ed25519" };
  }
}

function extensionsFor(options: IssueOptions): x509.Extension[] {
  const extensions: x509.Extension[] = [];
  if (options.ca !== undefined) {
    extensions.push(new x509.BasicConstraintsExtension(options.ca, options.pathLength, true));
  }
  if (options.keyUsage !== undefined) extensions.push(new x509.KeyUsagesExtension(options.keyUsage, true));
  if (options.extendedKeyUsage !== undefined) {
    extensions.push(new x509.ExtendedKeyUsageExtension([...options.extendedKeyUsage], false));
  }
  const names = [
    ...(options.dnsNames ?? []).map((value) => ({ type: "dns" as const, value })),
    ...(options.uris ?? []).map((value) => ({ type: "url" as const, value })),
    ...(options.ipAddresses ?? []).map((value) => ({ type: "ip" as const, value })),
    ...(options.emails ?? []).map((value) => ({ type: "email" as const, value })),
  ];
  if (names.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(names, false));
  if (options.crlUrls !== undefined) extensions.push(new x509.CRLDistributionPointsExtension([...options.crlUrls]));
  if (options.ocspUrls !== undefined) extensions.push(new x509.AuthorityInfoAccessExtension({ ocsp: [...options.ocspUrls] }));
  return extensions;
}

/** The defaults plus the extra extensions, an extra one replacing a default of its OID; omitted ones dropped. */
function finalExtensions(options: IssueOptions, defaults: readonly x509.Extension[]): x509.Extension[] {
  const extra = options.extraExtensions ?? [];
  const replaced = new Set([...extra.map((extension) => extension.type), ...(options.omitExtensions ?? [])]);
  return [...defaults.filter((extension) => !replaced.has(extension.type)), ...extra];
}

/**
 * @peculiar/x509 encodes a name string's RDNs in the order written; RFC 4514
 * writes the most significant RDN last. Reversing gives conventional DER order,
 * so "CN=alice, O=certgate" reads back as written.
 */
function derOrder(rfc4514: string): string {
  return rfc4514
    .split(/(?<!\\),\s*/)
    .reverse()
    .join(", ");
}

function randomSerial(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0] ?? 0) & 0x7f; // positive INTEGER
  return Buffer.from(bytes).toString("hex");
}

async function finish(cert: x509.X509Certificate, keys: CryptoKeyPair, keyAlgorithm: KeyAlgorithm): Promise<Issued> {
  return {
    cert,
    keys,
    keyAlgorithm,
    der: new Uint8Array(cert.rawData),
    pem: cert.toString("pem") + "\n",
    async privateKeyPem() {
      const pkcs8 = await webcrypto.subtle.exportKey("pkcs8", keys.privateKey);
      return x509.PemConverter.encode(pkcs8, "PRIVATE KEY") + "\n";
    },
  };
}

/** A certificate and the key that can sign further certificates. */
export class Authority {
  readonly issued: Issued;

  constructor(issued: Issued) {
    this.issued = issued;
  }

  get pem(): string {
    return this.issued.pem;
  }

  get der(): Uint8Array {
    return this.issued.der;
  }

  /** Self-signed root: cA=TRUE, keyCertSign|cRLSign. */
  static async root(options: Partial<IssueOptions> & Pick<IssueOptions, "subject" | "notBefore" | "notAfter">): Promise<Authority> {
    const keyAlgorithm = options.keyAlgorithm ?? "ecdsa-p256";
    const keys = options.keys ?? (await generateKeys(keyAlgorithm));
    const full: IssueOptions = { ca: true, keyUsage: x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, ...options };
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: full.serialNumber ?? randomSerial(),
      name: derOrder(full.subject),
      notBefore: full.notBefore,
      notAfter: full.notAfter,
      keys,
      signingAlgorithm: signingAlgorithm(keyAlgorithm, full.hash ?? "SHA-256"),
      extensions: finalExtensions(full, [...extensionsFor(full), await x509.SubjectKeyIdentifierExtension.create(keys.publicKey)]),
    });
    return new Authority(await finish(cert, keys, keyAlgorithm));
  }

  /** Issues any certificate; the caller decides every extension. */
  async issue(options: IssueOptions): Promise<Issued> {
    const keyAlgorithm = options.keyAlgorithm ?? "ecdsa-p256";
    const keys = options.keys ?? (await generateKeys(keyAlgorithm));
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: options.serialNumber ?? randomSerial(),
      subject: derOrder(options.subject),
      issuer: this.issued.cert.subject,
      notBefore: options.notBefore,
      notAfter: options.notAfter,
      publicKey: keys.publicKey,
      signingKey: this.issued.keys.privateKey,
      signingAlgorithm: signingAlgorithm(this.issued.keyAlgorithm, options.hash ?? "SHA-256"),
      extensions: finalExtensions(options, [
        ...extensionsFor(options),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
        await x509.AuthorityKeyIdentifierExtension.create(this.issued.keys.publicKey),
      ]),
    });
    return finish(cert, keys, keyAlgorithm);
  }

  /**
   * `der` with its TBSCertificate changed by `mutate` and signed again with this
   * authority's key: for defects no issuing option expresses (a negative serial,
   * a malformed field), still carrying a valid signature.
   */
  resign(der: Uint8Array, mutate: (tbs: TBSCertificate) => void): Uint8Array {
    const certificate = AsnConvert.parse(der, AsnCertificate);
    mutate(certificate.tbsCertificate);
    const tbs = new Uint8Array(AsnConvert.serialize(certificate.tbsCertificate));
    const key = KeyObject.from(this.issued.keys.privateKey);
    const signature =
      this.issued.keyAlgorithm === "ed25519"
        ? sign(null, tbs, key)
        : this.issued.keyAlgorithm === "rsa-pss-2048"
          ? sign("sha256", tbs, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 })
          : sign("sha256", tbs, key);
    certificate.signatureValue = new Uint8Array(signature).buffer;
    return new Uint8Array(AsnConvert.serialize(certificate));
  }

  /** A subordinate CA: cA=TRUE, keyCertSign|cRLSign. */
  async intermediate(options: Omit<IssueOptions, "ca">): Promise<Authority> {
    const issued = await this.issue({
      keyUsage: x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
      ...options,
      ca: true,
    });
    return new Authority(issued);
  }

  /** A TLS client certificate: digitalSignature, EKU clientAuth unless overridden. */
  async client(options: IssueOptions): Promise<Issued> {
    return this.issue({
      ca: false,
      keyUsage: x509.KeyUsageFlags.digitalSignature,
      extendedKeyUsage: [OID_CLIENT_AUTH],
      ...options,
    });
  }
}
