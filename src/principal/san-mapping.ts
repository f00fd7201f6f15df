// [principal] source and [[principal.mapping]]: the principal named by a subject
// alternative name instead of the CN. A mapping's `match` is a template over the
// whole SAN value; `{name}` placeholders capture text that the username, user store
// and tenant templates reuse. The first mapping in file order that matches one of the
// leaf's values of the source's type wins.
//
// A placeholder captures one or more characters, never a separator of the value's
// form ("/" in a URI, "@" in an e-mail address, "." in a DNS name), never the
// character that follows it in the template, and never "/" or "@" (which would
// let a certificate choose a WSO2 user store or tenant). Literal text matches
// exactly, and the template matches the whole value: "spiffe://td/ns/pay" never
// matches ".../ns/payments" or ".../ns/pay/x". Nothing is percent-decoded: in a
// URI a capture never holds "%", "?" or "#".

export type PrincipalSource = "cn" | "uri_san" | "email_san" | "dns_san";
export type SanSource = Exclude<PrincipalSource, "cn">;
export const PRINCIPAL_SOURCES: readonly PrincipalSource[] = ["cn", "uri_san", "email_san", "dns_san"];

export interface MappingRule {
  readonly match: string;
  readonly username: string;
  /** Absent: the username's own user store, or PRIMARY. */
  readonly userStore?: string;
  /** Absent: the username's own tenant, or carbon.super. */
  readonly tenant?: string;
}

/** The WSO2 name a value maps to ("STORE/user@tenant"), and which mapping said so. */
export interface Mapped {
  readonly name: string;
  readonly value: string;
  readonly index: number;
}

export interface SanMappings {
  readonly source: SanSource;
  /** The first mapping that matches one of `values`, in file order; undefined: none does. */
  map(values: readonly string[]): Mapped | undefined;
}

type Token = { readonly literal: string } | { readonly placeholder: string };

const PLACEHOLDER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const SEPARATOR: Record<SanSource, string> = { uri_san: "/", email_san: "@", dns_san: "." };
/** Never captured in any source: the WSO2 user store and tenant separators. */
const NEVER_CAPTURED = "/@";
const NEVER_CAPTURED_IN_URI = "%?#";

function tokenize(template: string): Token[] | string {
  const tokens: Token[] = [];
  let rest = template;
  while (rest !== "") {
    const open = rest.indexOf("{");
    const close = rest.indexOf("}");
    if (close !== -1 && (open === -1 || close < open)) return 'has a "}" without "{"';
    if (open === -1) {
      tokens.push({ literal: rest });
      break;
    }
    if (open > 0) tokens.push({ literal: rest.slice(0, open) });
    if (close === -1) return 'has a "{" without "}"';
    const name = rest.slice(open + 1, close);
    if (!PLACEHOLDER.test(name)) return `placeholder {${name}} is not a name (letters, digits and "_")`;
    tokens.push({ placeholder: name });
    rest = rest.slice(close + 1);
  }
  return tokens;
}

/** How a value of this source is compared: DNS names and e-mail domains have no case. */
export function normaliseSanValue(source: SanSource, value: string): string {
  if (source === "dns_san") return value.toLowerCase();
  if (source === "email_san") {
    const at = value.lastIndexOf("@");
    return at === -1 ? value : value.slice(0, at) + value.slice(at).toLowerCase();
  }
  return value;
}

interface CompiledTemplate {
  readonly regex: RegExp;
  readonly names: readonly string[];
}

function compileMatch(source: SanSource, template: string): CompiledTemplate | string {
  const tokens = tokenize(normaliseSanValue(source, template));
  if (typeof tokens === "string") return tokens;
  const names: string[] = [];
  let pattern = "";
  for (const [i, token] of tokens.entries()) {
    if ("literal" in token) {
      pattern += RegExp.escape(token.literal);
      continue;
    }
    if (names.includes(token.placeholder)) return `placeholder {${token.placeholder}} appears twice`;
    const next = tokens[i + 1];
    if (next !== undefined && "placeholder" in next) return `placeholders {${token.placeholder}} and {${next.placeholder}} need literal text between them`;
    const stop = SEPARATOR[source] + NEVER_CAPTURED + (source === "uri_san" ? NEVER_CAPTURED_IN_URI : "") + (next?.literal[0] ?? "");
    names.push(token.placeholder);
    pattern += `([^${RegExp.escape(stop)}]+)`;
  }
  if (names.length === 0 && pattern === "") return "is empty";
  return { regex: new RegExp(`^${pattern}$`, "u"), names };
}

/** A username/user_store/tenant template: its placeholders must all be captured by `match`. */
function checkOutput(template: string, names: readonly string[]): string | undefined {
  const tokens = tokenize(template);
  if (typeof tokens === "string") return tokens;
  for (const token of tokens) {
    if ("placeholder" in token && !names.includes(token.placeholder)) return `uses {${token.placeholder}}, which match does not capture`;
  }
  return undefined;
}

function fill(template: string, captures: ReadonlyMap<string, string>): string {
  return template.replace(/\{([A-Za-z0-9_]+)\}/g, (_, name: string) => captures.get(name) ?? "");
}

export type CompiledSanMappings = { readonly ok: true; readonly mappings: SanMappings } | { readonly ok: false; readonly problems: readonly string[] };

/** The mappings compiled, or every problem with them by index and key ("[0].match: ..."). */
export function compileSanMappings(source: SanSource, rules: readonly MappingRule[]): CompiledSanMappings {
  const problems: string[] = [];
  const compiled = rules.map((rule, i) => {
    const match = compileMatch(source, rule.match);
    if (typeof match === "string") {
      problems.push(`[${i}].match: ${JSON.stringify(rule.match)} ${match}`);
      return undefined;
    }
    const outputs: [string, string | undefined][] = [
      ["username", rule.username],
      ["user_store", rule.userStore],
      ["tenant", rule.tenant],
    ];
    for (const [key, template] of outputs) {
      const why = template === undefined ? undefined : checkOutput(template, match.names);
      if (why !== undefined) problems.push(`[${i}].${key}: ${JSON.stringify(template)} ${why}`);
    }
    if (rule.username === "") problems.push(`[${i}].username: required`);
    if (rule.userStore !== undefined && rule.username.includes("/")) problems.push(`[${i}]: set the user store in username or in user_store, not both`);
    if (rule.tenant !== undefined && rule.username.includes("@")) problems.push(`[${i}]: set the tenant in username or in tenant, not both`);
    return { rule, match };
  });
  if (problems.length > 0) return { ok: false, problems };
  const mappings = compiled.filter((entry) => entry !== undefined);
  return { ok: true, mappings: mappingsOf(source, mappings) };
}

function mappingsOf(source: SanSource, mappings: readonly { rule: MappingRule; match: CompiledTemplate }[]): SanMappings {
  return {
    source,
    map(values) {
      const normalised = values.map((value) => normaliseSanValue(source, value));
      for (const [index, { rule, match }] of mappings.entries()) {
        for (const value of normalised) {
          const found = match.regex.exec(value);
          if (found === null) continue;
          const captures = new Map(match.names.map((name, n) => [name, found[n + 1]!]));
          const store = rule.userStore === undefined ? "" : `${fill(rule.userStore, captures)}/`;
          const tenant = rule.tenant === undefined ? "" : `@${fill(rule.tenant, captures)}`;
          return { name: store + fill(rule.username, captures) + tenant, value, index };
        }
      }
      return undefined;
    },
  };
}
