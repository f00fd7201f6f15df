// Envoy's x-forwarded-client-cert header. Grammar: elements separated by ",", each
// a ";"-separated list of Key=Value pairs, keys case-insensitive, values quoted when
// they hold , ; or = with '"' escaped as '\"'. Envoy's own output bends this: By,
// URI and DNS are neither quoted nor escaped, and Subject is quoted but not escaped
// inside, so a quote only closes a value when a delimiter or the end follows it,
// and an unquoted value only ends at a delimiter that starts another Key=.
import { createHash } from "node:crypto";
import { fail, type Failure } from "../reason.ts";
import { decodePemChain } from "../pki/pem.ts";

export type XfccElement = ReadonlyMap<string, readonly string[]>;

const NEXT_PAIR = /^\s*[A-Za-z][A-Za-z0-9_-]*=/;

function malformed(why: string): Failure {
  return fail("MALFORMED_CERTIFICATE", `x-forwarded-client-cert: ${why}`);
}

/** End index (exclusive) of a quoted value starting at `start` (the opening quote), and its text. */
function readQuoted(header: string, start: number): { end: number; value: string } | undefined {
  let value = "";
  for (let i = start + 1; i < header.length; i++) {
    const c = header[i]!;
    if (c === "\\" && header[i + 1] === '"') {
      value += '"';
      i++;
      continue;
    }
    if (c === '"') {
      const rest = header.slice(i + 1);
      if (/^\s*([;,]|$)/.test(rest)) return { end: i + 1, value };
    }
    value += c;
  }
  return undefined;
}

function readUnquoted(header: string, start: number): { end: number; value: string } {
  for (let i = start; i < header.length; i++) {
    const c = header[i];
    if ((c === ";" || c === ",") && NEXT_PAIR.test(header.slice(i + 1))) return { end: i, value: header.slice(start, i).trim() };
  }
  return { end: header.length, value: header.slice(start).trim() };
}

/** Every element, in header order (the last is the one the nearest proxy added). */
export function parseXfcc(header: string, maxElements: number): XfccElement[] | Failure {
  const elements: Map<string, string[]>[] = [];
  let current = new Map<string, string[]>();
  let i = 0;
  while (i < header.length) {
    const key = /^\s*([A-Za-z][A-Za-z0-9_-]*)=/.exec(header.slice(i));
    if (key === null) return malformed(`expected Key= at offset ${i}`);
    i += key[0].length;
    const read = header[i] === '"' ? readQuoted(header, i) : readUnquoted(header, i);
    if (read === undefined) return malformed("unterminated quoted value");
    const name = key[1]!.toLowerCase();
    current.set(name, [...(current.get(name) ?? []), read.value]);
    i = read.end;
    while (header[i] === " " || header[i] === "\t") i++;
    const delimiter = header[i];
    if (delimiter === undefined) break;
    if (delimiter !== ";" && delimiter !== ",") return malformed(`unexpected ${JSON.stringify(delimiter)} at offset ${i}`);
    i++;
    if (delimiter === ",") {
      elements.push(current);
      current = new Map();
      if (elements.length >= maxElements) return malformed(`more than ${maxElements} elements`);
    }
  }
  if (current.size > 0) elements.push(current);
  return elements;
}

function percentDecode(value: string): string | undefined {
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}

export type XfccChain = { readonly ok: true; readonly certificates: readonly Uint8Array[] } | Failure;

/**
 * The chain in the last element: Chain= (URL-encoded PEM, leaf first) when present,
 * else Cert=. Hash=, when present, must be the SHA-256 of the leaf. Undefined when
 * the element carries no certificate.
 */
export function chainFromXfcc(header: string, maxElements: number): XfccChain | undefined {
  const elements = parseXfcc(header, maxElements);
  if (!Array.isArray(elements)) return elements;
  const last = elements[elements.length - 1];
  if (last === undefined) return undefined;
  for (const single of ["cert", "chain", "hash"]) {
    if ((last.get(single)?.length ?? 0) > 1) return malformed(`${single} appears twice in one element`);
  }
  const encoded = last.get("chain")?.[0] ?? last.get("cert")?.[0];
  if (encoded === undefined || encoded === "") return undefined;
  const pem = percentDecode(encoded);
  if (pem === undefined) return malformed("bad URL encoding in Cert/Chain");
  const chain = decodePemChain(pem);
  if (!chain.ok) return malformed(chain.message);
  const hash = last.get("hash")?.[0];
  if (hash !== undefined && hash.toLowerCase() !== createHash("sha256").update(chain.certificates[0]!).digest("hex")) {
    return malformed("Hash does not match the certificate");
  }
  return chain;
}
