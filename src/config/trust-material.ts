// Reads the certificate files a Config names into a TrustStore, checking each one,
// and reports every bad file by its dotted key.
import { readFileSync } from "node:fs";
import { decodeCertificate, type Certificate } from "../pki/certificate.ts";
import { decodeCertificateFile } from "../pki/pem.ts";
import { createTrustStore, type TrustStore } from "../pki/trust-store.ts";
import { ConfigError, type Config } from "./config.ts";

function readCertificates(files: readonly string[], key: string, problems: string[]): Certificate[] {
  const out: Certificate[] = [];
  files.forEach((file, i) => {
    const where = `${key}[${i}] (${file})`;
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(file);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      problems.push(`${where}: ${code === "ENOENT" ? "file not found" : `cannot read (${code ?? String(error)})`}`);
      return;
    }
    const blocks = decodeCertificateFile(bytes);
    if (!blocks.ok) {
      problems.push(`${where}: ${blocks.message}`);
      return;
    }
    blocks.certificates.forEach((der, n) => {
      const decoded = decodeCertificate(der, n);
      if (decoded.ok) out.push(decoded.certificate);
      else problems.push(`${where}: ${decoded.message}`);
    });
  });
  return out;
}

export function loadTrustStore(config: Config): TrustStore {
  const problems: string[] = [];
  const anchors = readCertificates(config.truststore.caFiles, "truststore.ca_files", problems);
  const intermediates = readCertificates(config.truststore.intermediateFiles, "truststore.intermediate_files", problems);
  anchors.forEach((anchor) => {
    if (anchor.basicConstraints?.ca !== true) problems.push(`truststore.ca_files: "${anchor.subject.text}" is not a CA certificate (basicConstraints cA)`);
  });
  if (problems.length > 0) throw new ConfigError(config.source, problems);
  return createTrustStore(anchors, intermediates);
}
