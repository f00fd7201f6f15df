// Reads the certificate files a Config names into a TrustStore, checking each one,
// and reports every bad file by its dotted key.
import { X509Certificate, createPrivateKey } from "node:crypto";
import { readdirSync } from "node:fs";
import { createSecureContext } from "node:tls";
import { CrlFiles, type CrlFile, type CrlFileProblem } from "../crl-loading/file-sources.ts";
import { signerKeys } from "../crl-loading/off-thread.ts";
import { join } from "node:path";
import { decodeCrl } from "../pki/revocation/crl.ts";
import { RevocationStore } from "../pki/revocation/store.ts";
import { decodeCertificate, type Certificate } from "../pki/certificate/certificate.ts";
import { describeNonconformance, type Profile } from "../pki/path/profile.ts";
import { readPemFile } from "../pki/pem.ts";
import { parseSpiffeBundle } from "../pki/spiffe/bundle.ts";
import { createTrustStore, sortTrusted, type SortedTrust, type TrustStore } from "../pki/path/trust-store.ts";
import { readKeyStore } from "../keystore/keystore.ts";
import { ConfigError, type Config, type KeyStoreFile } from "./config.ts";
import { readInputFile } from "./input-file.ts";

function readFile(file: string, where: string, problems: string[]): Uint8Array | undefined {
  const read = readInputFile(file);
  if (read.ok) return read.bytes;
  problems.push(`${where}: ${read.problem}`);
  return undefined;
}

/** DER certificates decoded; each must have a loadable key, because trust material signs. */
function decodeAll(ders: readonly Uint8Array[], where: string, problems: string[]): Certificate[] {
  const out: Certificate[] = [];
  ders.forEach((der, n) => {
    const decoded = decodeCertificate(der, n);
    if (!decoded.ok) problems.push(`${where}: ${decoded.message}`);
    else if (!decoded.certificate.inheritsKeyParameters && decoded.certificate.publicKey === undefined)
      problems.push(`${where}: certificate ${n}: its public key cannot be loaded`);
    else out.push(decoded.certificate);
  });
  return out;
}

/** A certificate file's certificates, decoded and checked; its CRL blocks go to `crls` when asked for. */
function readCertificates(files: readonly string[], key: string, problems: string[], notes: string[], crls?: Uint8Array[]): Certificate[] {
  return files.flatMap((file, i) => {
    const where = `${key}[${i}] (${file})`;
    const bytes = readFile(file, where, problems);
    if (bytes === undefined) return [];
    const contents = readPemFile(bytes, "certificate");
    if (!contents.ok) {
      problems.push(`${where}: ${contents.message}`);
      return [];
    }
    notes.push(...contents.skipped.map((note) => `${where}: ${note}`));
    crls?.push(...contents.crls);
    return decodeAll(contents.certificates, where, problems);
  });
}

/** The anchors of a SPIFFE bundle file. */
function readBundle(file: string, where: string, problems: string[]): Certificate[] {
  const bytes = readFile(file, where, problems);
  if (bytes === undefined) return [];
  const bundle = parseSpiffeBundle(Buffer.from(bytes).toString("utf8"));
  if (!bundle.ok) {
    problems.push(`${where}: not a usable SPIFFE bundle: ${bundle.why}`);
    return [];
  }
  return decodeAll(bundle.certificates, where, problems);
}

/**
 * One trust store per [[trust_domain]]: its ca_files and bundle anchors, and the
 * shared intermediate pool (a pooled intermediate still has to chain to the
 * domain's own anchors).
 */
export function loadTrustDomains(config: Config, pool: readonly Certificate[], notes: string[] = []): ReadonlyMap<string, TrustStore> {
  const problems: string[] = [];
  const domains = new Map<string, TrustStore>();
  config.trustDomains.forEach((domain, i) => {
    const key = `trust_domain[${i}]`;
    const certificates = [
      ...readCertificates(domain.caFiles, `${key}.ca_files`, problems, notes),
      ...(domain.bundleFile === undefined ? [] : readBundle(domain.bundleFile, `${key}.bundle_file (${domain.bundleFile})`, problems)),
    ];
    // A SPIFFE trust domain is anchored by its CAs; an SVID is never pinned.
    const sorted = sortTrusted(certificates, { allowPinned: false });
    problems.push(...trustProblems(sorted, config.truststore.profile, `${key} (${domain.name})`, notes));
    domains.set(domain.name, createTrustStore(sorted.anchors, pool));
  });
  if (problems.length > 0) throw new ConfigError(config.source, problems);
  return domains;
}

/**
 * Trusted certificates that cannot be anchors are configuration errors; so are
 * nonconforming ones under strict (they would refuse every path). Under rfc5280 those
 * are noted, and pinned client certificates are noted as such.
 */
export function trustProblems(sorted: SortedTrust, profile: Profile, key: string, notes: string[]): string[] {
  const problems = sorted.refused.map(({ certificate, why }) => `${key}: "${certificate.subject.text}" is ${why}`);
  for (const { certificate, found } of sorted.nonconforming) {
    const rules = found.map(describeNonconformance).join("; ");
    if (profile === "strict") problems.push(`${key}: ${rules}; truststore.profile = "rfc5280" accepts it with a warning`);
    else
      notes.push(
        `${key}: trust anchor "${certificate.subject.text}" does not conform to RFC 5280: ${rules} ` +
          '(reported on every decision; truststore.profile = "strict" refuses it)',
      );
  }
  for (const certificate of sorted.pinned)
    notes.push(`${key}: "${certificate.subject.text}" is a pinned client certificate: trusted for itself only, it can never issue`);
  return problems;
}

/** WSO2's trust store file (PKCS#12 or JKS): its trusted certificates, each checked as a ca_files certificate is. */
function readKeyStoreFile(store: KeyStoreFile, problems: string[], notes: string[]): Certificate[] {
  const where = `truststore.file_name (${store.file})`;
  const bytes = readFile(store.file, where, problems);
  if (bytes === undefined) return [];
  const contents = readKeyStore(bytes, store.password, store.type);
  if (!contents.ok) {
    problems.push(`${where}: ${contents.why}`);
    return [];
  }
  notes.push(...contents.notes.map((note) => `${where}: ${note}`));
  const foreign = contents.certificates.filter((certificate) => !certificate.jdkTrusted).length;
  if (foreign > 0)
    notes.push(
      `${where}: ${foreign} certificate(s) without the JDK's trusted-certificate attribute (OpenSSL before 3.2 writes none): ` +
        "certgate trusts them; Java, and so WSO2, would skip them",
    );
  if (contents.certificates.length === 0) problems.push(`${where}: holds no trusted certificate`);
  return decodeAll(
    contents.certificates.map((certificate) => certificate.der),
    where,
    problems,
  );
}

/**
 * truststore.ca_files and WSO2's truststore.file_name (anchors and pinned client
 * certificates) and truststore.intermediate_files; `notes` collects what is worth a
 * log line.
 */
export function loadTrustStore(config: Config, notes: string[] = []): TrustStore {
  const problems: string[] = [];
  const { keyStore } = config.truststore;
  const trusted = [
    ...readCertificates(config.truststore.caFiles, "truststore.ca_files", problems, notes),
    ...(keyStore === undefined ? [] : readKeyStoreFile(keyStore, problems, notes)),
  ];
  const intermediates = readCertificates(config.truststore.intermediateFiles, "truststore.intermediate_files", problems, notes);
  const sorted = sortTrusted(trusted, { allowPinned: true });
  problems.push(...trustProblems(sorted, config.truststore.profile, keyStore === undefined ? "truststore.ca_files" : "truststore", notes));
  if (problems.length > 0) throw new ConfigError(config.source, problems);
  return createTrustStore(sorted.anchors, intermediates, sorted.pinned);
}

export interface ServerTlsMaterial {
  readonly certChain: Buffer;
  readonly privateKey: Buffer;
  /** Concatenated PEM of the CAs whose client certificates are accepted; null: none asked for. */
  readonly clientCas: Buffer | null;
  readonly requireClientCert: boolean;
}

/**
 * Whether the serving material works before it is used: a renewal that wrote a new
 * certificate but not yet its key must not replace what serves (it would fail every
 * handshake); on a reload it is refused and the material in use stays.
 */
function servingProblems(certChain: Buffer, privateKey: Buffer, clientCas: Buffer | undefined, key: string): string[] {
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(certChain);
  } catch (error) {
    return [`${key}.cert_file: not a certificate (${(error as Error).message})`];
  }
  try {
    if (!certificate.checkPrivateKey(createPrivateKey(privateKey))) return [`${key}.key_file: the key does not belong to ${key}.cert_file's certificate`];
    createSecureContext({ cert: certChain, key: privateKey, ...(clientCas === undefined ? {} : { ca: clientCas }) });
  } catch (error) {
    return [`${key}.key_file: not a usable key for ${key}.cert_file (${(error as Error).message})`];
  }
  return [];
}

/** The files of a listener's TLS table ([server.tls] or [forward_auth.tls]), read and checked; undefined when TLS is off. */
export function loadServerTls(config: Config, listener: "server" | "forward_auth" = "server"): ServerTlsMaterial | undefined {
  const tls = listener === "server" ? config.server.tls : config.forwardAuth.tls;
  if (tls === undefined) return undefined;
  const key = `${listener}.tls`;
  const problems: string[] = [];
  const read = (file: string, where: string): Buffer => {
    const input = readInputFile(file);
    if (input.ok) return input.bytes;
    problems.push(`${where} (${file}): ${input.problem}`);
    return Buffer.alloc(0);
  };
  const certChain = read(tls.certFile, `${key}.cert_file`);
  const privateKey = read(tls.keyFile, `${key}.key_file`);
  const cas = tls.clientCaFiles.map((file, i) => read(file, `${key}.client_ca_files[${i}]`));
  // Parse the client CAs the same way as trust anchors, so a bad file is named here, not by a TLS handshake later.
  readCertificates(tls.clientCaFiles, `${key}.client_ca_files`, problems, []);
  if (problems.length === 0) problems.push(...servingProblems(certChain, privateKey, cas.length === 0 ? undefined : Buffer.concat(cas), key));
  if (problems.length > 0) throw new ConfigError(config.source, problems);
  return { certChain, privateKey, clientCas: cas.length === 0 ? null : Buffer.concat(cas), requireClientCert: tls.requireClientCert };
}

/** Every file of crl_dirs, sorted. */
function crlDirFiles(config: Config): string[] {
  return config.revocation.crlDirs.flatMap((dir) => {
    try {
      return readdirSync(dir)
        .filter((name) => !name.startsWith("."))
        .sort()
        .map((name) => join(dir, name));
    } catch {
      return [];
    }
  });
}

export interface RevocationFiles {
  readonly store: RevocationStore;
  /** CRL files that did not load on a reload (at start they are configuration errors). */
  readonly problems: readonly CrlFileProblem[];
}

export interface RevocationLoad {
  /** The cache of decoded CRL files a server keeps across reloads; absent: a fresh one. */
  readonly files?: CrlFiles;
  /** Certificates whose keys may have signed the CRLs (the trust store's), checked off the event loop for large CRLs. */
  readonly signers?: readonly Certificate[];
  /** At start a CRL file that does not load is a configuration error; on a reload it keeps its previous CRLs. */
  readonly initial?: boolean;
  readonly notes?: string[];
}

/** A store holding every CRL of crl_files and crl_dirs (PEM or DER), and those in truststore files, each named by its key when bad. */
export async function loadRevocationStore(config: Config, options: RevocationLoad = {}): Promise<RevocationFiles> {
  const problems: string[] = [];
  config.revocation.crlDirs.forEach((dir, i) => {
    try {
      readdirSync(dir);
    } catch {
      problems.push(`revocation.crl_dirs[${i}] (${dir}): directory not found`);
    }
  });
  const files: CrlFile[] = [
    ...config.revocation.crlFiles.map((path, i) => ({ path, where: `revocation.crl_files[${i}]` })),
    ...crlDirFiles(config).map((path) => ({ path, where: "revocation.crl_dirs" })),
  ];
  const loaded = await (options.files ?? new CrlFiles()).load(files, signerKeys(options.signers ?? []));
  const failed = loaded.problems.filter((problem) => options.initial !== false || !problem.kept);
  if (options.initial !== false) problems.push(...failed.map((problem) => `${problem.where} (${problem.path}): ${problem.detail}`));
  const store = new RevocationStore();
  for (const crl of loaded.crls) store.addCrl(crl);
  // CRLs kept in a CA bundle count, as `openssl verify -CAfile` reads them; the files' other problems are loadTrustStore's to report.
  const bundled: Uint8Array[] = [];
  readCertificates([...config.truststore.caFiles, ...config.truststore.intermediateFiles], "truststore", [], [], bundled);
  for (const der of bundled) {
    const decoded = decodeCrl(der);
    if (!decoded.ok) problems.push(`truststore.ca_files: not a usable CRL: ${decoded.why}`);
    else store.addCrl(decoded.crl);
  }
  if (bundled.length > 0) options.notes?.push(`truststore: ${bundled.length} CRL(s) read from the trust store files`);
  if (problems.length > 0) throw new ConfigError(config.source, problems);
  return { store, problems: options.initial === false ? loaded.problems : [] };
}
