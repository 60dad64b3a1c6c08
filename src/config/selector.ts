/**
 * Node selectors as MetalLB peers use them (`node-selectors`): Kubernetes label selectors
 * (`metav1.LabelSelector`). Entries are ORed; within one, every label and expression must
 * hold. No selectors means every node.
 */

export type SelectorOperator = "In" | "NotIn" | "Exists" | "DoesNotExist";

export const selectorOperators: readonly SelectorOperator[] = ["In", "NotIn", "Exists", "DoesNotExist"];

export interface SelectorRequirement {
  readonly key: string;
  readonly operator: SelectorOperator;
  readonly values: readonly string[];
}

export interface NodeSelector {
  readonly matchLabels: ReadonlyMap<string, string>;
  readonly matchExpressions: readonly SelectorRequirement[];
}

/** Whether a node with `labels` is selected by `selectors` (empty list: every node). */
export function selectsNode(
  selectors: readonly NodeSelector[],
  labels: ReadonlyMap<string, string>,
): boolean {
  if (selectors.length === 0) return true;
  return selectors.some((s) => matches(s, labels));
}

export function matches(s: NodeSelector, labels: ReadonlyMap<string, string>): boolean {
  for (const [k, v] of s.matchLabels) if (labels.get(k) !== v) return false;
  for (const r of s.matchExpressions) {
    const v = labels.get(r.key);
    switch (r.operator) {
      case "In":
        if (v === undefined || !r.values.includes(v)) return false;
        break;
      case "NotIn":
        // Kubernetes: a node without the label satisfies NotIn.
        if (v !== undefined && r.values.includes(v)) return false;
        break;
      case "Exists":
        if (v === undefined) return false;
        break;
      case "DoesNotExist":
        if (v !== undefined) return false;
        break;
    }
  }
  return true;
}

const name63 = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const dnsSubdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Why `key` is not a valid label key (Kubernetes qualified name), or undefined if it is. */
export function labelKeyProblem(key: string): string | undefined {
  const slash = key.lastIndexOf("/");
  const prefix = slash < 0 ? undefined : key.slice(0, slash);
  const name = slash < 0 ? key : key.slice(slash + 1);
  if (prefix !== undefined && (prefix.length > 253 || !dnsSubdomain.test(prefix)))
    return "its prefix must be a DNS subdomain (lower case, at most 253 characters)";
  if (name.length === 0 || name.length > 63 || !name63.test(name))
    return "a label name is 1-63 characters of letters, digits, '-', '_' and '.', starting and ending with a letter or digit";
  return undefined;
}

/** Why `value` is not a valid label value, or undefined if it is. */
export function labelValueProblem(value: string): string | undefined {
  if (value === "") return undefined;
  if (value.length > 63 || !name63.test(value))
    return "a label value is at most 63 characters of letters, digits, '-', '_' and '.', starting and ending with a letter or digit";
  return undefined;
}
