// WSO2 resource access control ([[resource.access_control]]): the first rule, in
// file order, whose context regex fully matches the normalised path
// (case-insensitively) and whose http_method covers the request's method.
//
// Rules are compiled once into one alternation per method, so finding the first
// match is one regex run whatever the number of rules, and repeated paths are
// answered from a bounded cache.
import { LruCache } from "../lru-cache.ts";

export interface ResourceRule {
  /** As written in the config, for messages and the response's matched_rule. */
  readonly context: string;
  /** http_method as written in the config. */
  readonly httpMethod: string;
  /** Upper-case methods, or ["ALL"]. */
  readonly methods: readonly string[];
  readonly secure: boolean;
  readonly permissions: readonly string[];
  readonly scopes: readonly string[];
  /** Lower-case handler names, or ["all"]. */
  readonly allowedAuthHandlers: readonly string[];
  readonly crossTenant: boolean;
  /** Lower case; empty: any tenant when crossTenant. */
  readonly crossAccessAllowedTenants: readonly string[];
  /** SPIFFE trust domains the rule admits; empty: any. */
  readonly trustDomains: readonly string[];
  /** principal-patterns.ts patterns the rule admits; empty: any. */
  readonly principals: readonly string[];
}

export interface RuleMatch {
  readonly rule: ResourceRule;
  readonly index: number;
}

export interface ResourceRules {
  readonly enabled: boolean;
  readonly defaultAccess: "allow" | "deny";
  match(path: string, method: string): RuleMatch | undefined;
}

/**
 * A context as a regex source: WSO2 regexes are taken as written; a trailing "/*"
 * (the glob readers expect) means this prefix and anything below it.
 */
export function contextPattern(context: string): string {
  if (context.endsWith("/*")) return `${context.slice(0, -2)}(?:/.*)?`;
  return context;
}

/** Why a context cannot be compiled, or undefined. */
export function invalidContext(context: string): string | undefined {
  try {
    new RegExp(`^(?:${contextPattern(context)})$`, "iu");
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

interface CompiledBucket {
  readonly regex: RegExp;
  /** For each rule in the bucket: the index of its wrapping group in a match. */
  readonly groups: readonly { readonly group: number; readonly index: number }[];
}

function groupCount(pattern: string): number {
  return new RegExp(`(?:${pattern})|`, "u").exec("")!.length - 1;
}

function compileBucket(rules: readonly ResourceRule[], indexes: readonly number[]): CompiledBucket {
  let group = 1;
  const groups: { group: number; index: number }[] = [];
  const parts: string[] = [];
  for (const index of indexes) {
    const pattern = contextPattern(rules[index]!.context);
    groups.push({ group, index });
    parts.push(`(${pattern})`);
    group += 1 + groupCount(pattern);
  }
  // An empty alternation must match nothing, not the empty path.
  const source = parts.length === 0 ? "(?!)" : parts.join("|");
  return { regex: new RegExp(`^(?:${source})$`, "iu"), groups };
}

const PATH_CACHE_SIZE = 10_000;

export function compileResourceRules(rules: readonly ResourceRule[], defaultAccess: "allow" | "deny"): ResourceRules {
  const methods = new Set(rules.flatMap((rule) => rule.methods).filter((method) => method !== "ALL"));
  const applies = (rule: ResourceRule, method: string) => rule.methods.includes("ALL") || rule.methods.includes(method);
  const bucketFor = (method: string) =>
    compileBucket(
      rules,
      rules.flatMap((rule, index) => (applies(rule, method) ? [index] : [])),
    );
  const buckets = new Map([...methods].map((method) => [method, bucketFor(method)]));
  const otherMethods = bucketFor("");
  const cache = new LruCache<string, number>(PATH_CACHE_SIZE);

  return {
    enabled: rules.length > 0,
    defaultAccess,
    match(path, method) {
      const upper = method.toUpperCase();
      const key = `${upper} ${path}`;
      let index = cache.get(key);
      if (index === undefined) {
        const bucket = buckets.get(upper) ?? otherMethods;
        const found = bucket.regex.exec(path);
        index = found === null ? -1 : (bucket.groups.find(({ group }) => found[group] !== undefined)?.index ?? -1);
        cache.set(key, index);
      }
      return index === -1 ? undefined : { rule: rules[index]!, index };
    },
  };
}
