// Reads the certificate files a Config names into a TrustStore, checking each one,
// and reports every bad file by its dotted key.
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { decodeCrl } from "../pki/crl.ts";
import { RevocationStore } from "../pki/revocation-store.ts";
import { decodeCertificate, type Certificate } from "../pki/certificate.ts";
import { checkProfile, type Profile } from "../pki/profile.ts";
import { decodeCertificateFile } from "../pki/pem.ts";
import { parseSpiffeBundle } from "../pki/spiffe-bundle.ts";
import { createTrustStore, type TrustStore } from "../pki/trust-store.ts";
import { ConfigError, type Config } from "./config.ts";

function readFile(file: string, where: string, problems: string[]): Uint8Array | undefined {
  try {
    return readFileSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    problems.push(`${where}: ${code === "ENOENT" ? "file not found" : `cannot read (${code ?? String(error)})`}`);
    return undefined;
  }
}

/** DER certificates decoded; each must have a loadable key, because trust material signs. */
function decodeAll(ders: readonly Uint8Array[], where: string, problems: string[]): Certificate[] {
  const out: Certificate[] = [];
  ders.forEach((der, n) => {
    const decoded = decodeCertificate(der, n);
    if (!decoded.ok) problems.push(`${where}: ${decoded.message}`);
    else if (!decoded.certificate.inheritsKeyParameters && decoded.certificate.publicKey === undefined) problems.push(`${where}: certificate ${n}: its public key cannot be loaded`);
    else out.push(decoded.certificate);
  });
  return out;
}

function readCertificates(files: readonly string[], key: string, problems: string[]): Certificate[] {
  return files.flatMap((file, i) => {
    const where = `${key}[${i}] (${file})`;
    const bytes = readFile(file, where, problems);
    if (bytes === undefined) return [];
    const blocks = decodeCertificateFile(bytes);
    if (!blocks.ok) {
      problems.push(`${where}: ${blocks.message}`);
      return [];
    }
    return decodeAll(blocks.certificates, where, problems);
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
export function loadTrustDomains(config: Config, pool: readonly Certificate[]): ReadonlyMap<string, TrustStore> {
  const problems: string[] = [];
  const domains = new Map<string, TrustStore>();
  config.trustDomains.forEach((domain, i) => {
    const key = `trust_domain[${i}]`;
    const anchors = [
      ...readCertificates(domain.caFiles, `${key}.ca_files`, problems),
      ...(domain.bundleFile === undefined ? [] : readBundle(domain.bundleFile, `${key}.bundle_file (${domain.bundleFile})`, problems)),
    ];
    problems.push(...anchorProblems(anchors, config.truststore.profile, `${key} (${domain.name})`));
    domains.set(domain.name, createTrustStore(anchors, pool));
  });
  if (problems.length > 0) throw new ConfigError(config.source, problems);
  return domains;
}

/**
 * A trust anchor must be a CA, and must keep the configured profile: an anchor that
 * would refuse every path is a configuration error, named at start.
 */
export function anchorProblems(anchors: readonly Certificate[], profile: Profile, key = "truststore.ca_files"): string[] {
  return anchors.flatMap((anchor) => {
    if (anchor.basicConstraints !== undefined && !anchor.basicConstraints.ca) return [`${key}: "${anchor.subject.text}" is not a CA certificate (basicConstraints cA is false)`];
    const nonconforming = checkProfile(anchor, { isAnchor: true, issues: true }, profile, -1);
    return nonconforming === undefined ? [] : [`${key}: ${nonconforming.message}`];
  });
}

export function loadTrustStore(config: Config): TrustStore {
  const problems: string[] = [];
  const anchors = readCertificates(config.truststore.caFiles, "truststore.ca_files", problems);
  const intermediates = readCertificates(config.truststore.intermediateFiles, "truststore.intermediate_files", problems);
  problems.push(...anchorProblems(anchors, config.truststore.profile));
  if (problems.length > 0) throw new ConfigError(config.source, problems);
  return createTrustStore(anchors, intermediates);
}

export interface ServerTlsMaterial {
  readonly certChain: Buffer;
  readonly privateKey: Buffer;
  /** Concatenated PEM of the CAs whose client certificates are accepted; null: none asked for. */
  readonly clientCas: Buffer | null;
  readonly requireClientCert: boolean;
}

/** The files of [server.tls], read and checked; undefined when TLS is off. */
export function loadServerTls(config: Config): ServerTlsMaterial | undefined {
  const tls = config.server.tls;
  if (tls === undefined) return undefined;
  const problems: string[] = [];
  const read = (file: string, key: string): Buffer => {
    try {
      return readFileSync(file);
    } catch (error) {
      problems.push(`${key} (${file}): ${(error as NodeJS.ErrnoException).code === "ENOENT" ? "file not found" : "cannot read"}`);
      return Buffer.alloc(0);
    }
  };
  const certChain = read(tls.certFile, "server.tls.cert_file");
  const privateKey = read(tls.keyFile, "server.tls.key_file");
  const cas = tls.clientCaFiles.map((file, i) => read(file, `server.tls.client_ca_files[${i}]`));
  // Parse the client CAs the same way as trust anchors, so a bad file is named here, not by a TLS handshake later.
  readCertificates(tls.clientCaFiles, "server.tls.client_ca_files", problems);
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

/** A store holding every CRL of crl_files and crl_dirs (PEM or DER), each named by its key when bad. */
export function loadRevocationStore(config: Config): RevocationStore {
  const problems: string[] = [];
  const store = new RevocationStore();
  const load = (file: string, where: string) => {
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(file);
    } catch (error) {
      problems.push(`${where} (${file}): ${(error as NodeJS.ErrnoException).code === "ENOENT" ? "file not found" : "cannot read"}`);
      return;
    }
    const blocks = decodeCertificateFile(bytes, "X509 CRL");
    if (!blocks.ok) {
      problems.push(`${where} (${file}): ${blocks.message.replace("certificate", "CRL")}`);
      return;
    }
    for (const der of blocks.certificates) {
      const crl = decodeCrl(der);
      if (typeof crl === "string") problems.push(`${where} (${file}): not a usable CRL: ${crl}`);
      else store.addCrl(crl);
    }
  };
  config.revocation.crlFiles.forEach((file, i) => load(file, `revocation.crl_files[${i}]`));
  config.revocation.crlDirs.forEach((dir, i) => {
    try {
      readdirSync(dir);
    } catch {
      problems.push(`revocation.crl_dirs[${i}] (${dir}): directory not found`);
    }
  });
  for (const file of crlDirFiles(config)) load(file, "revocation.crl_dirs");
  if (problems.length > 0) throw new ConfigError(config.source, problems);
  return store;
}
