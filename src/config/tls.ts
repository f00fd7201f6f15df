// A TLS table ([server.tls], [forward_auth.tls]): the serving certificate and key, the
// CAs whose client certificates are accepted, and whether one is required. Both
// listeners read and check it the same way, each naming its own keys.
import { resolve } from "node:path";
import type { TlsConfig } from "./config.ts";
import type { TomlReader } from "./toml-reader.ts";

export const TLS_KEYS = ["cert_file", "key_file", "client_ca_files", "require_client_cert"] as const;

/** The table at `key` ("server.tls"); relative paths resolve against `baseDir`. */
export function readTls(read: TomlReader, table: Record<string, unknown>, key: string, baseDir: string): TlsConfig {
  const file = (name: string) => {
    const value = read.string(table, `${key}.${name}`, "");
    if (value === "") read.problems.push(`${key}.${name}: required when [${key}] is present`);
    return resolve(baseDir, value);
  };
  return {
    certFile: file("cert_file"),
    keyFile: file("key_file"),
    clientCaFiles: read.stringArray(table, `${key}.client_ca_files`, []).map((path) => resolve(baseDir, path)),
    requireClientCert: read.boolean(table, `${key}.require_client_cert`, true),
  };
}

/** A listener's TLS and its caller allow-list, checked together: callers are named by their certificates. */
export function tlsProblems(tls: TlsConfig | undefined, allowedCallerSans: readonly string[], listener: string): string[] {
  const problems: string[] = [];
  if (tls?.requireClientCert === true && tls.clientCaFiles.length === 0)
    problems.push(`${listener}.tls.client_ca_files: required when require_client_cert = true`);
  if (allowedCallerSans.length > 0 && (tls === undefined || !tls.requireClientCert))
    problems.push(`${listener}.allowed_caller_sans: needs [${listener}.tls] with require_client_cert = true (callers are named by their certificate)`);
  return problems;
}
