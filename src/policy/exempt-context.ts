// Exempt contexts: request paths where the intermediate-CN check is skipped (WSO2's
// [intermediate_cert_validation] exempt_contexts). WSO2 tests whether the entry is a
// substring of the context path, which lets "/api/scim2x" or "?x=scim2" through;
// here entries match whole path segments instead.

export interface ExemptContexts {
  /** The entry that exempts this normalised path, or undefined. */
  match(segments: readonly string[]): string | undefined;
  /** Entries in WSO2's bare form, which match a segment sequence anywhere. */
  readonly bareEntries: readonly string[];
}

function entrySegments(entry: string): string[] {
  return entry.split("/").filter((segment) => segment !== "");
}

function startsAt(segments: readonly string[], wanted: readonly string[], at: number): boolean {
  return wanted.every((segment, i) => segments[at + i] === segment);
}

/** A reason the entry cannot be used, or undefined when it is fine. */
export function invalidExemptContext(entry: string): string | undefined {
  if (entrySegments(entry).length === 0) return "must name at least one path segment";
  if (/[?#%\\\u0000-\u001f]/.test(entry)) return "must be a plain path (no ?, #, %, backslash or control characters)";
  if (entrySegments(entry).some((segment) => segment === "." || segment === "..")) return "must not contain dot segments";
  return undefined;
}

/**
 * "/scim2" is a prefix on segment boundaries (matches /scim2 and /scim2/Users, not
 * /scim2x); "scim2" (WSO2's bare form) matches that segment anywhere in the path,
 * so /t/wso2.com/scim2/Users is exempt as in WSO2. Single-segment bare entries are
 * kept in a set, so the cost does not grow with their number.
 */
export function compileExemptContexts(entries: readonly string[]): ExemptContexts {
  const prefixes = entries.filter((entry) => entry.startsWith("/")).map((entry) => ({ entry, segments: entrySegments(entry) }));
  const bare = entries.filter((entry) => !entry.startsWith("/"));
  const singleSegment = new Map(bare.filter((entry) => entrySegments(entry).length === 1).map((entry) => [entrySegments(entry)[0]!, entry]));
  const multiSegment = bare.filter((entry) => entrySegments(entry).length > 1).map((entry) => ({ entry, segments: entrySegments(entry) }));
  return {
    bareEntries: bare,
    match(segments) {
      for (const prefix of prefixes) if (startsAt(segments, prefix.segments, 0)) return prefix.entry;
      for (const segment of segments) {
        const entry = singleSegment.get(segment);
        if (entry !== undefined) return entry;
      }
      for (const sequence of multiSegment) {
        for (let at = 0; at + sequence.segments.length <= segments.length; at++) {
          if (startsAt(segments, sequence.segments, at)) return sequence.entry;
        }
      }
      return undefined;
    },
  };
}
