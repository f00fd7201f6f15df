// Certificates, CRLs and CAs made with the OpenSSL command line, the way operators
// make them by hand (`openssl req`, `openssl x509 -req -extfile`, `openssl ca
// -gencrl`), with the extensions spelled out as they would write them; and OpenSSL's
// own verdict (`openssl verify`), as a second opinion.
import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";

function openssl(args: readonly string[], cwd: string): string {
  return execFileSync("openssl", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

/** An extension section for `-extfile`, one "key = value" line each. */
function extfile(dir: string, name: string, lines: readonly string[]): string {
  const path = join(dir, `${name}.ext`);
  writeFileSync(path, `[v3]\n${lines.join("\n")}\n`);
  return path;
}

export interface OpensslCert {
  readonly name: string;
  readonly pem: string;
  readonly key: string;
}

/** A self-signed certificate (`openssl req -x509`) with exactly `extensions`. */
export function opensslSelfSigned(dir: string, name: string, subject: string, extensions: readonly string[]): OpensslCert {
  const config = join(dir, `${name}.req.cnf`);
  writeFileSync(config, `[req]\ndistinguished_name = dn\nx509_extensions = v3\nprompt = no\n[dn]\n[v3]\n${extensions.join("\n")}\n`);
  openssl(
    [
      "req",
      "-x509",
      "-config",
      config,
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-nodes",
      "-keyout",
      `${name}.key`,
      "-subj",
      subject,
      "-days",
      "365",
      "-out",
      `${name}.pem`,
    ],
    dir,
  );
  return { name, pem: join(dir, `${name}.pem`), key: join(dir, `${name}.key`) };
}

/** A certificate issued by `issuer` (`openssl req` + `openssl x509 -req -extfile`) with exactly `extensions`. */
export function opensslIssue(dir: string, issuer: OpensslCert, name: string, subject: string, extensions: readonly string[]): OpensslCert {
  openssl(
    ["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", `${name}.key`, "-subj", subject, "-out", `${name}.csr`],
    dir,
  );
  const ext = extfile(dir, name, extensions);
  openssl(
    [
      "x509",
      "-req",
      "-in",
      `${name}.csr`,
      "-CA",
      issuer.pem,
      "-CAkey",
      issuer.key,
      "-CAcreateserial",
      "-days",
      "365",
      "-sha256",
      "-extfile",
      ext,
      "-extensions",
      "v3",
      "-out",
      `${name}.pem`,
    ],
    dir,
  );
  return { name, pem: join(dir, `${name}.pem`), key: join(dir, `${name}.key`) };
}

/** The serial as `openssl x509 -serial` prints it (upper-case hex). */
export function opensslSerial(cert: OpensslCert, dir: string): string {
  return openssl(["x509", "-in", cert.pem, "-noout", "-serial"], dir)
    .trim()
    .replace(/^serial=/, "");
}

/**
 * A CRL from `openssl ca -gencrl`, revoking `revoked` (serials, upper-case hex); with
 * `crlNumber` false there is no crlnumber file, so the CRL has no cRLNumber (RFC
 * 5280 5.2.3), as a hand-run CA often publishes.
 */
export function opensslCrl(dir: string, ca: OpensslCert, revoked: readonly string[], options: { crlNumber: boolean; out: string }): string {
  const index = join(dir, `${ca.name}.index.txt`);
  const expiry = "991231235959Z";
  writeFileSync(index, revoked.map((serial) => `R\t${expiry}\t260101000000Z,keyCompromise\t${serial}\tunknown\t/CN=revoked-${serial}\n`).join(""));
  const number = join(dir, `${ca.name}.crlnumber`);
  if (options.crlNumber) writeFileSync(number, "01\n");
  const config = join(dir, `${ca.name}.ca.cnf`);
  writeFileSync(
    config,
    `[ca]\ndefault_ca = hand_run_ca\n[hand_run_ca]\ndatabase = ${index}\n${options.crlNumber ? `crlnumber = ${number}\n` : ""}certificate = ${ca.pem}\nprivate_key = ${ca.key}\ndefault_md = sha256\ndefault_crl_days = 30\n`,
  );
  const out = join(dir, options.out);
  openssl(["ca", "-gencrl", "-config", config, "-out", out], dir);
  return out;
}

/** OpenSSL's verdict on a chain: "OK" or its error line. */
export function opensslVerify(dir: string, args: readonly string[]): string {
  const result = spawnSync("openssl", ["verify", ...args], { cwd: dir, encoding: "utf8" });
  if (result.status === 0) return "OK";
  return (result.stdout + result.stderr).split("\n").find((line) => line.startsWith("error ")) ?? (result.stdout + result.stderr).trim();
}

/** Random positive serials (16 octets, as hex), for CRLs at production size. */
export function randomSerials(count: number): string[] {
  const bytes = randomBytes(count * 16);
  return Array.from({ length: count }, (_, i) => {
    const serial = bytes.subarray(i * 16, i * 16 + 16);
    serial[0] = (serial[0]! & 0x7f) | 0x10;
    return serial.toString("hex").toUpperCase();
  });
}

/**
 * A CRL of `count` random serials plus `listed` (upper-case hex), from `openssl ca
 * -gencrl` with a generated index.txt, signed by a CA certgate's own code issued
 * (its certificate and key written out for OpenSSL), PEM.
 */
export async function opensslLargeCrl(
  dir: string,
  ca: { pem: string; privateKeyPem(): Promise<string> },
  name: string,
  count: number,
  listed: readonly string[],
): Promise<string> {
  writeFileSync(join(dir, `${name}.pem`), ca.pem);
  writeFileSync(join(dir, `${name}.key`), await ca.privateKeyPem());
  return opensslCrl(dir, { name, pem: join(dir, `${name}.pem`), key: join(dir, `${name}.key`) }, [...randomSerials(count), ...listed], {
    crlNumber: true,
    out: `${name}.crl`,
  });
}
