// WSO2's trust stores ([truststore] file_name, password, type): a PKCS#12 or JKS file
// of trusted certificates. The file's own bytes say which it is (Java reads either
// under either type name since JDK 9); a stated type that differs is noted.
import type { KeyStoreContents } from "./contents.ts";
import { readJks } from "./jks.ts";
import { readPkcs12 } from "./pkcs12.ts";

export type KeyStoreType = "PKCS12" | "JKS";

export function keyStoreTypeOf(bytes: Uint8Array): KeyStoreType | undefined {
  if (bytes.length >= 4 && bytes[0] === 0xfe && bytes[1] === 0xed && bytes[2] === 0xfe && bytes[3] === 0xed) return "JKS";
  if (bytes[0] === 0x30) return "PKCS12";
  return undefined;
}

export function readKeyStore(bytes: Uint8Array, password: string, stated: KeyStoreType | undefined): KeyStoreContents {
  const actual = keyStoreTypeOf(bytes);
  if (actual === undefined) return { ok: false, why: "neither a PKCS#12 nor a JKS file" };
  const contents = actual === "JKS" ? readJks(bytes, password) : readPkcs12(bytes, password);
  if (!contents.ok || stated === undefined || stated === actual) return contents;
  return { ...contents, notes: [`the file is ${actual} although type = "${stated}"; read as ${actual}, as Java does`, ...contents.notes] };
}
