// The syntax a name must have before a name constraint can judge it (RFC 5280
// 4.2.1.10 with RFC 1034 3.5 preferred name syntax and RFC 5321 mailboxes): a name a
// constraint cannot parse cannot be shown to lie inside or outside a subtree.

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const MAX_DNS_LENGTH = 253;

/** A DNS name of letter-digit-hyphen labels; with `wildcard`, "*" may stand as the whole leftmost label. */
export function isDnsName(name: string, options: { wildcard: boolean }): boolean {
  if (name.length === 0 || name.length > MAX_DNS_LENGTH) return false;
  const labels = name.toLowerCase().split(".");
  if (options.wildcard && labels[0] === "*" && labels.length > 1) labels.shift();
  return labels.every((label) => LABEL.test(label));
}

/**
 * A CN that reads as a host name (OpenSSL's cn2dnsid): LDH labels with at least one
 * dot, a leading "*" label allowed. "john", "john@acme.com" and "SECONDARY/john" are not.
 */
export function isHostName(cn: string): boolean {
  return cn.includes(".") && isDnsName(cn, { wildcard: true });
}

/** Whether `name` is a wildcard DNS name ("*.example.com"). */
export function isWildcard(name: string): boolean {
  return name.startsWith("*.");
}

const DOT_ATOM = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;

/** A mailbox "local@domain" with a dot-atom local part and a DNS domain (quoted local parts are refused). */
export function isMailbox(address: string): boolean {
  const at = address.lastIndexOf("@");
  if (at <= 0) return false;
  return DOT_ATOM.test(address.slice(0, at)) && isDnsName(address.slice(at + 1), { wildcard: false });
}
