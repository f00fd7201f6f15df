// Certificate policy processing, RFC 5280 6.1.2-6.1.5: the valid_policy_tree,
// policy mappings, requireExplicitPolicy, inhibitPolicyMapping and inhibitAnyPolicy,
// with user-initial-policy-set = `requiredPolicies` (empty: anyPolicy) and
// initial-explicit-policy set when policies are required.
import { fail, type Failure } from "../../reason.ts";
import type { Certificate } from "../certificate/certificate.ts";

const ANY_POLICY = "2.5.29.32.0";

interface PolicyNode {
  readonly policy: string;
  expected: Set<string>;
  readonly parent: PolicyNode | undefined;
  readonly children: PolicyNode[];
}

/** The tree as its levels; levels[d] holds the nodes at depth d. */
type Tree = PolicyNode[][] | undefined;

function addChild(tree: PolicyNode[][], depth: number, parent: PolicyNode, policy: string, expected: Iterable<string>): void {
  const node: PolicyNode = { policy, expected: new Set(expected), parent, children: [] };
  parent.children.push(node);
  (tree[depth] ??= []).push(node);
}

function removeNode(tree: PolicyNode[][], depth: number, node: PolicyNode): void {
  tree[depth] = (tree[depth] ?? []).filter((n) => n !== node);
  if (node.parent !== undefined) node.parent.children.splice(node.parent.children.indexOf(node), 1);
}

/** Deletes childless nodes above `depth`, bottom up; undefined when the root goes. */
function prune(tree: PolicyNode[][], depth: number): Tree {
  for (let d = depth - 1; d >= 0; d--) {
    for (const node of [...(tree[d] ?? [])]) if (node.children.length === 0) removeNode(tree, d, node);
  }
  return (tree[0] ?? []).length === 0 ? undefined : tree;
}

/** 6.1.3 (d): extend the tree with this certificate's policies. */
function processPolicies(tree: PolicyNode[][], depth: number, policies: readonly string[], anyAllowed: boolean): Tree {
  const parents = tree[depth - 1] ?? [];
  for (const policy of policies.filter((p) => p !== ANY_POLICY)) {
    const matching = parents.filter((node) => node.expected.has(policy));
    if (matching.length > 0) for (const node of matching) addChild(tree, depth, node, policy, [policy]);
    else for (const node of parents.filter((n) => n.policy === ANY_POLICY)) addChild(tree, depth, node, policy, [policy]);
  }
  if (policies.includes(ANY_POLICY) && anyAllowed) {
    for (const node of parents) {
      for (const expected of node.expected) {
        if (!node.children.some((child) => child.policy === expected)) addChild(tree, depth, node, expected, [expected]);
      }
    }
  }
  return prune(tree, depth);
}

/** 6.1.4 (b): apply policyMappings of this certificate at `depth`. */
function processMappings(tree: PolicyNode[][], depth: number, certificate: Certificate, mappingAllowed: boolean): Tree {
  const mapped = new Map<string, Set<string>>();
  for (const { issuerDomain, subjectDomain } of certificate.policies.mappings)
    mapped.set(issuerDomain, (mapped.get(issuerDomain) ?? new Set()).add(subjectDomain));
  for (const [issuerDomain, subjectDomains] of mapped) {
    const nodes = (tree[depth] ?? []).filter((node) => node.policy === issuerDomain);
    if (!mappingAllowed) {
      for (const node of nodes) removeNode(tree, depth, node);
      continue;
    }
    if (nodes.length > 0) for (const node of nodes) node.expected = new Set(subjectDomains);
    else {
      const any = (tree[depth] ?? []).find((node) => node.policy === ANY_POLICY);
      if (any?.parent !== undefined) addChild(tree, depth, any.parent, issuerDomain, subjectDomains);
    }
  }
  // 6.1.4 (b)(2)(ii): only nodes of depth i-1 or less lose their place for lack of children.
  return mappingAllowed ? tree : prune(tree, depth);
}

/**
 * 6.1.5 (g): the policies the path is valid for, named as the authority did: on
 * each branch the topmost node whose policy is not anyPolicy (its parent is);
 * "any" for a branch that is anyPolicy throughout.
 */
function authorityPolicies(tree: Tree, depth: number): Set<string> {
  const policies = new Set<string>();
  for (const leaf of tree?.[depth] ?? []) {
    let topmost: PolicyNode | undefined;
    for (let node: PolicyNode | undefined = leaf; node !== undefined; node = node.parent) if (node.policy !== ANY_POLICY) topmost = node;
    policies.add(topmost?.policy ?? "any");
  }
  return policies;
}

/** `path`: leaf first, anchor last (the anchor itself is not processed). */
export function checkPolicies(
  path: readonly Certificate[],
  requiredPolicies: readonly string[],
  indexOf: (certificate: Certificate) => number,
): Failure | undefined {
  const certificates = path.slice(0, -1).reverse(); // from the one the anchor issued, to the leaf
  const n = certificates.length;
  let tree: Tree = [[{ policy: ANY_POLICY, expected: new Set([ANY_POLICY]), parent: undefined, children: [] }]];
  let explicitPolicy = requiredPolicies.length > 0 ? 0 : n + 1;
  let inhibitAny = n + 1;
  let policyMapping = n + 1;
  const invalid = (certificate: Certificate, why: string) => fail("POLICY_INVALID", `"${certificate.subject.text}": ${why}`, indexOf(certificate));
  for (let i = 1; i <= n; i++) {
    const certificate = certificates[i - 1]!;
    const isLeaf = i === n;
    const selfIssued = certificate.selfIssued;
    const identifiers = certificate.policies.identifiers;
    if (tree !== undefined) tree = identifiers === undefined ? undefined : processPolicies(tree, i, identifiers, inhibitAny > 0 || (!isLeaf && selfIssued));
    if (explicitPolicy === 0 && tree === undefined) return invalid(certificate, "no valid certificate policy, and an explicit policy is required");
    if (isLeaf) break;
    // 6.1.4 (a)-(b), (h)-(j): prepare for the next certificate.
    if (certificate.policies.mappings.some((m) => m.issuerDomain === ANY_POLICY || m.subjectDomain === ANY_POLICY))
      return invalid(certificate, "maps anyPolicy");
    if (tree !== undefined) tree = processMappings(tree, i, certificate, policyMapping > 0);
    if (!selfIssued) {
      if (explicitPolicy > 0) explicitPolicy--;
      if (policyMapping > 0) policyMapping--;
      if (inhibitAny > 0) inhibitAny--;
    }
    const { requireExplicitPolicy, inhibitPolicyMapping, inhibitAnyPolicy } = certificate.policies;
    if (requireExplicitPolicy !== undefined) explicitPolicy = Math.min(explicitPolicy, requireExplicitPolicy);
    if (inhibitPolicyMapping !== undefined) policyMapping = Math.min(policyMapping, inhibitPolicyMapping);
    if (inhibitAnyPolicy !== undefined) inhibitAny = Math.min(inhibitAny, inhibitAnyPolicy);
  }
  // 6.1.5 (a)-(b), (g).
  const leaf = certificates[n - 1];
  if (leaf === undefined) return undefined;
  if (explicitPolicy > 0) explicitPolicy--;
  if (leaf.policies.requireExplicitPolicy === 0) explicitPolicy = 0;
  if (requiredPolicies.length > 0) {
    const valid = authorityPolicies(tree, n);
    if (!valid.has("any") && !requiredPolicies.some((policy) => valid.has(policy))) {
      return invalid(leaf, `the path is valid for no policy in truststore.required_policies (${[...valid].join(", ") || "none"})`);
    }
  }
  if (explicitPolicy === 0 && tree === undefined) return invalid(leaf, "no valid certificate policy, and an explicit policy is required");
  return undefined;
}
