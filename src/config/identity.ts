// The identity sections of the config: [principal] (which field of the leaf names the
// principal, and how a SAN maps to one), [[trust_domain]] (SPIFFE trust domains and
// their anchors) and the checks that tie them to each other and to the rules.
import { resolve } from "node:path";
import { DEFAULTS } from "../defaults.ts";
import { invalidTrustDomain } from "../pki/spiffe/spiffe-id.ts";
import { PRINCIPAL_SOURCES, compileSanMappings, type MappingRule, type PrincipalSource } from "../principal/san-mapping.ts";
import type { Config } from "./config.ts";
import { TABLES } from "./tables.ts";
import type { TomlReader } from "./toml-reader.ts";

const MAPPING_KEYS = ["match", "username", "user_store", "tenant"];
const TRUST_DOMAIN_KEYS = ["name", "ca_files", "bundle_file"];

export function readPrincipal(read: TomlReader): Config["principal"] {
  const table = read.table("principal", TABLES.principal);
  const source = read.string(table, "principal.source", DEFAULTS.principal.source);
  if (!PRINCIPAL_SOURCES.includes(source as PrincipalSource))
    read.problems.push(`principal.source: must be one of ${PRINCIPAL_SOURCES.join(", ")}, found ${JSON.stringify(source)}`);
  const mappings = read.tableArray("principal.mapping", MAPPING_KEYS).map((entry, i): MappingRule => {
    const where = `principal.mapping[${i}]`;
    const match = read.string(entry, `${where}.match`, "");
    if (match === "") read.problems.push(`${where}.match: required`);
    const optional = (key: string) =>
      entry[key] === undefined ? {} : { [key === "user_store" ? "userStore" : key]: read.string(entry, `${where}.${key}`, "") };
    return { match, username: read.string(entry, `${where}.username`, ""), ...optional("user_store"), ...optional("tenant") };
  });
  return { source: source as PrincipalSource, mappings };
}

export function readTrustDomains(read: TomlReader, baseDir: string): Config["trustDomains"] {
  return read.tableArray("trust_domain", TRUST_DOMAIN_KEYS).map((entry, i) => {
    const where = `trust_domain[${i}]`;
    const bundle = read.string(entry, `${where}.bundle_file`, "");
    return {
      name: read.string(entry, `${where}.name`, ""),
      caFiles: read.stringArray(entry, `${where}.ca_files`, []).map((file) => resolve(baseDir, file)),
      bundleFile: bundle === "" ? undefined : resolve(baseDir, bundle),
    };
  });
}

/** principal.source, its mappings, the trust domains, and the rules that name them. */
export function identityProblems(config: Omit<Config, "source" | "ignored" | "warnings">): string[] {
  const problems: string[] = [];
  const { source, mappings } = config.principal;
  if (source === "cn" && mappings.length > 0)
    problems.push(`principal.mapping: applies only when principal.source names a SAN ("uri_san", "email_san" or "dns_san"); source is "cn"`);
  if (source !== "cn" && PRINCIPAL_SOURCES.includes(source)) {
    if (mappings.length === 0)
      problems.push(
        `principal.mapping: principal.source = ${JSON.stringify(source)} needs at least one [[principal.mapping]] ` +
          "(otherwise every client is NO_PRINCIPAL_MAPPING)",
      );
    const compiled = compileSanMappings(source, mappings);
    if (!compiled.ok) problems.push(...compiled.problems.map((problem) => `principal.mapping${problem}`));
    if (config.accessControl.thumbprintMappings !== undefined)
      problems.push(
        `principal.source: ${JSON.stringify(source)} names the principal from the certificate; ` +
          "it cannot be combined with [client_certificate_based_authentication] enable = true",
      );
  }
  const names = new Map<string, number>();
  config.trustDomains.forEach((domain, i) => {
    const where = `trust_domain[${i}]`;
    const why = invalidTrustDomain(domain.name);
    if (why !== undefined) problems.push(`${where}.name: ${why}`);
    const other = names.get(domain.name);
    if (other !== undefined) problems.push(`${where}.name: ${JSON.stringify(domain.name)} is also trust_domain[${other}]`);
    names.set(domain.name, i);
    if (domain.caFiles.length === 0 && domain.bundleFile === undefined)
      problems.push(`${where}: set ca_files, bundle_file or both (a trust domain needs anchors)`);
  });
  config.accessControl.rules.forEach((rule, i) => {
    rule.trustDomains.forEach((name, n) => {
      if (!names.has(name) && invalidTrustDomain(name) === undefined)
        problems.push(`resource.access_control[${i}].trust_domains[${n}]: no [[trust_domain]] named ${JSON.stringify(name)}`);
    });
  });
  return problems;
}
