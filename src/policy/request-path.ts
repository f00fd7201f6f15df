// Request-path normalisation, so that a policy decision is made on the path the
// upstream will serve, not on a spelling of it chosen by the client.
import { fail, type Failure } from "../reason.ts";

export interface RequestPath {
  readonly ok: true;
  /**
   * Normalised: absolute, decoded once, no dot or empty segments; "?" and "#"
   * from the path itself stay encoded, so normalising this again changes nothing.
   */
  readonly path: string;
  /** Decoded segments, for matching. */
  readonly segments: readonly string[];
}

// C0 controls, DEL, backslash (Windows-style separators some upstreams honour).
const FORBIDDEN = /[\u0000-\u001f\u007f\\]/;

function decodeOnce(raw: string): string | undefined {
  try {
    return decodeURIComponent(raw);
  } catch {
    return undefined; // a bad escape or an escape that is not UTF-8
  }
}

/** RFC 3986 5.2.4 on segments: "." dropped, ".." removes the previous one, never above the root. */
function resolveDotSegments(segments: readonly string[]): string[] {
  const out: string[] = [];
  for (const segment of segments) {
    if (segment === "." || segment === "") continue;
    if (segment === "..") out.pop();
    else out.push(segment);
  }
  return out;
}

/** One segment decoded once, or why it cannot be. */
function decodeSegment(raw: string): string | Failure {
  const decoded = decodeOnce(raw);
  if (decoded === undefined) return fail("INVALID_REQUEST_PATH", "request path has a malformed percent-escape");
  if (decoded.includes("%")) return fail("INVALID_REQUEST_PATH", "request path is still percent-encoded after decoding once");
  if (FORBIDDEN.test(decoded)) return fail("INVALID_REQUEST_PATH", "request path contains a control character or backslash");
  // An upstream that does not decode these would see a different path than we do.
  if (decoded.includes("/")) return fail("INVALID_REQUEST_PATH", "request path contains an encoded slash");
  if ((decoded === "." || decoded === "..") && decoded !== raw) return fail("INVALID_REQUEST_PATH", "request path contains an encoded dot segment");
  return decoded;
}

/**
 * Query and fragment are dropped before decoding, so an encoded "?" stays part of
 * the path; each segment is decoded once, and anything still encoded ("%" left
 * over from "%25"), a NUL, a backslash, an encoded "/" or an encoded dot segment
 * is refused rather than guessed at. Dot segments are then resolved and empty
 * segments merged.
 */
export function normaliseRequestPath(raw: string): RequestPath | Failure {
  const end = raw.search(/[?#]/);
  const encoded = end === -1 ? raw : raw.slice(0, end);
  if (encoded === "") return { ok: true, path: "/", segments: [] };
  if (!encoded.startsWith("/")) return fail("INVALID_REQUEST_PATH", "request path must start with /");
  const decoded: string[] = [];
  for (const rawSegment of encoded.split("/")) {
    const segment = decodeSegment(rawSegment);
    if (typeof segment !== "string") return segment;
    decoded.push(segment);
  }
  const trailingSlash = encoded.length > 1 && encoded.endsWith("/");
  const segments = resolveDotSegments(decoded);
  const path = "/" + segments.map((segment) => segment.replace(/[?#]/g, encodeURIComponent)).join("/") + (trailingSlash && segments.length > 0 ? "/" : "");
  return { ok: true, path, segments };
}
