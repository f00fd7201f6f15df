// Trust stores made the way WSO2 operators make them: Java's keytool (-importcert into
// JKS, or PKCS12 as Java 9+ writes it, AES and an HMAC-SHA256 MAC) and OpenSSL's
// `pkcs12 -export -nokeys` (with its options for older or unusual stores).
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

function run(command: string, args: readonly string[], cwd: string): void {
  execFileSync(command, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
}

export interface StoreEntry {
  readonly alias: string;
  readonly pem: string;
}

/** `keytool -importcert` of each entry into a new store: trusted-certificate entries. */
export function keytoolTrustStore(dir: string, name: string, type: "JKS" | "PKCS12", password: string, entries: readonly StoreEntry[]): string {
  const store = join(dir, name);
  for (const entry of entries) {
    const file = join(dir, `${name}.${entry.alias}.pem`);
    writeFileSync(file, entry.pem);
    run("keytool", ["-importcert", "-noprompt", "-alias", entry.alias, "-file", file, "-keystore", store, "-storetype", type, "-storepass", password], dir);
  }
  return store;
}

/** `keytool -genkeypair` into an existing (or new) store: a private-key entry beside the trusted ones. */
export function keytoolKeyEntry(store: string, type: "JKS" | "PKCS12", password: string, alias: string): void {
  run(
    "keytool",
    [
      "-genkeypair",
      "-alias",
      alias,
      "-keyalg",
      "EC",
      "-dname",
      `CN=${alias}`,
      "-keystore",
      store,
      "-storetype",
      type,
      "-storepass",
      password,
      "-keypass",
      password,
    ],
    join(store, ".."),
  );
}

/** `openssl pkcs12 -export -nokeys` of a PEM bundle, with extra options (-legacy, -certpbe, -macalg, -nomac). */
export function opensslTrustStore(dir: string, name: string, pem: string, password: string, options: readonly string[] = []): string {
  const input = join(dir, `${name}.in.pem`);
  writeFileSync(input, pem);
  const out = join(dir, name);
  run("openssl", ["pkcs12", "-export", "-nokeys", "-in", input, "-out", out, "-passout", `pass:${password}`, ...options], dir);
  return out;
}

/** `openssl pkcs12 -export` of a certificate with its key: a store holding a private-key entry only. */
export function opensslKeyStore(dir: string, name: string, pem: string, keyPem: string, password: string): string {
  writeFileSync(join(dir, `${name}.crt`), pem);
  writeFileSync(join(dir, `${name}.key`), keyPem);
  const out = join(dir, name);
  run("openssl", ["pkcs12", "-export", "-in", `${name}.crt`, "-inkey", `${name}.key`, "-name", "withkey", "-out", out, "-passout", `pass:${password}`], dir);
  return out;
}

export const bytesOf = (path: string) => new Uint8Array(readFileSync(path));
