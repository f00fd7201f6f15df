// A resource rule's `trust_domains` and `principals`: which clients the rule lets in
// once they are authenticated. A pattern with "://" names SPIFFE IDs and is matched
// against the client's verified SPIFFE ID; any other pattern is matched against the
// qualified username ("SECONDARY/*@acme.com"). A "*" that is a whole "/"-separated
// segment stands for one or more whole segments; a "*" inside a segment for one or
// more characters of that segment. Everything else is literal, case-sensitive, and
// the pattern matches the whole name: "spiffe://td/ns/pay/*" never matches
// "spiffe://td/ns/payments/x" (no sibling-prefix matches).
import { fail, type Failure } from "../reason.ts";

export interface ClientNames {
  readonly spiffeId: string | undefined;
  readonly trustDomain: string | undefined;
  readonly qualifiedUsername: string | undefined;
}

export interface PrincipalPatterns {
  /** Undefined: let in; otherwise PRINCIPAL_NOT_ALLOWED. */
  check(client: ClientNames): Failure | undefined;
}

interface Pattern {
  readonly text: string;
  readonly spiffe: boolean;
  readonly regex: RegExp;
}

/** Why a pattern cannot be used, or undefined. */
export function invalidPrincipalPattern(pattern: string): string | undefined {
  if (pattern === "") return "is empty";
  if (pattern.includes("**")) return 'has "**" (a whole-segment "*" already spans segments)';
  return undefined;
}

function compilePattern(text: string): Pattern {
  const segments = text.split("/").map((segment) => {
    if (segment === "*") return "[^/]+(?:/[^/]+)*";
    return segment
      .split("*")
      .map((part) => RegExp.escape(part))
      .join("[^/]+");
  });
  return { text, spiffe: text.includes("://"), regex: new RegExp(`^${segments.join("\\/")}$`, "u") };
}

export function compilePrincipalPatterns(trustDomains: readonly string[], principals: readonly string[]): PrincipalPatterns | undefined {
  if (trustDomains.length === 0 && principals.length === 0) return undefined;
  const domains = new Set(trustDomains);
  const patterns = principals.map(compilePattern);
  return {
    check(client) {
      if (domains.size > 0 && (client.trustDomain === undefined || !domains.has(client.trustDomain))) {
        const who = client.trustDomain === undefined ? "the client has no SPIFFE ID" : `the client is in trust domain ${client.trustDomain}`;
        return fail("PRINCIPAL_NOT_ALLOWED", `the rule admits trust domains ${[...domains].join(", ")}; ${who}`);
      }
      if (patterns.length === 0) return undefined;
      const admitted = patterns.some((pattern) => {
        const name = pattern.spiffe ? client.spiffeId : client.qualifiedUsername;
        return name !== undefined && pattern.regex.test(name);
      });
      if (admitted) return undefined;
      const who = [client.spiffeId, client.qualifiedUsername].filter((name) => name !== undefined).join(" / ") || "an unnamed client";
      return fail("PRINCIPAL_NOT_ALLOWED", `${who} matches none of the rule's principals (${patterns.map((p) => JSON.stringify(p.text)).join(", ")})`);
    },
  };
}
