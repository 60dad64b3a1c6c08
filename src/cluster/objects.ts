/**
 * Kubernetes semantics of the objects in a snapshot, read defensively (any field may be
 * missing or of the wrong type). Shared by the planner and the controller.
 */
import { heldAddresses, serviceKey } from "./service.ts";
import type { EndpointLike, EndpointSliceLike, NodeLike, ServiceLike } from "./types.ts";

/** Nodes with this label (any value) carry no external load-balancer traffic (KEP-1143). */
export const EXCLUDE_FROM_LB_LABEL = "node.kubernetes.io/exclude-from-external-load-balancers";
/** EndpointSlice label naming its Service. */
export const SERVICE_NAME_LABEL = "kubernetes.io/service-name";

/** `serviceKey`: `ns/name`. `heldAddresses`: the IPs in `status.loadBalancer.ingress` (junk skipped, no duplicates). */
export { heldAddresses, serviceKey };

/** `namespace/name`, with the namespace defaulting to "default" as the API server does. */
export function objectKey(o: {
  readonly metadata: { readonly namespace?: string; readonly name: string };
}): string {
  return `${o.metadata.namespace || "default"}/${o.metadata.name}`;
}

function stringRecord(v: unknown): ReadonlyMap<string, string> {
  const out = new Map<string, string>();
  if (v === null || typeof v !== "object" || Array.isArray(v)) return out;
  for (const [k, x] of Object.entries(v)) if (typeof x === "string") out.set(k, x);
  return out;
}

export function nodeLabels(node: NodeLike | undefined): ReadonlyMap<string, string> {
  return stringRecord(node?.metadata?.labels);
}

/** The status ("True", "False", "Unknown") of a node condition, or undefined if absent. */
export function nodeCondition(node: NodeLike | undefined, type: string): string | undefined {
  const cs = node?.status?.conditions;
  if (!Array.isArray(cs)) return undefined;
  for (const c of cs) if (c?.type === type && typeof c.status === "string") return c.status;
  return undefined;
}

/** MetalLB `k8snodes.IsNodeExcludedFromBalancers`: the label is present, whatever its value. */
export function isExcludedFromLoadBalancers(node: NodeLike | undefined): boolean {
  return nodeLabels(node).has(EXCLUDE_FROM_LB_LABEL);
}

/** MetalLB `k8snodes.IsNetworkUnavailable`: condition NetworkUnavailable is True. */
export function isNetworkUnavailable(node: NodeLike | undefined): boolean {
  return nodeCondition(node, "NetworkUnavailable") === "True";
}

/** Cordoned (`spec.unschedulable`), as `kubectl drain` does first. */
export function isCordoned(node: NodeLike | undefined): boolean {
  return node?.spec?.unschedulable === true;
}

/**
 * Whether an endpoint can take new traffic: `ready`, or `serving` and not `terminating`
 * (discovery.k8s.io/v1: a nil ready/serving is read as true, a nil terminating as false).
 */
export function isEndpointServing(e: EndpointLike | null | undefined): boolean {
  if (e === null || typeof e !== "object") return false;
  const c = e.conditions ?? {};
  const ready = c.ready ?? true;
  const serving = c.serving ?? ready;
  const terminating = c.terminating ?? false;
  return ready === true || (serving === true && terminating !== true);
}

/** The EndpointSlices of a Service: same namespace, labelled with its name. */
export function slicesOf(svc: ServiceLike, slices: readonly EndpointSliceLike[]): EndpointSliceLike[] {
  const ns = svc.metadata.namespace || "default";
  return slices.filter(
    (s) =>
      (s.metadata.namespace || "default") === ns &&
      stringRecord(s.metadata.labels).get(SERVICE_NAME_LABEL) === svc.metadata.name,
  );
}

/**
 * Every EndpointSlice grouped by its Service's key (`namespace/name` from the
 * `kubernetes.io/service-name` label), so each Service finds its own in O(1). Slices without
 * the label belong to no Service and are left out.
 */
export function slicesByService(slices: readonly EndpointSliceLike[]): Map<string, EndpointSliceLike[]> {
  const out = new Map<string, EndpointSliceLike[]>();
  for (const sl of slices) {
    const name = sl?.metadata?.labels?.[SERVICE_NAME_LABEL];
    if (typeof name !== "string") continue;
    const k = `${sl.metadata.namespace || "default"}/${name}`;
    const list = out.get(k);
    if (list === undefined) out.set(k, [sl]);
    else list.push(sl);
  }
  return out;
}

/** Every endpoint of the slices (junk entries skipped). */
export function endpointsOf(slices: readonly EndpointSliceLike[]): EndpointLike[] {
  const out: EndpointLike[] = [];
  for (const s of slices) {
    if (!Array.isArray(s.endpoints)) continue;
    for (const e of s.endpoints) if (e !== null && typeof e === "object") out.push(e);
  }
  return out;
}

/** Compares strings by UTF-16 code units, independent of locale (deterministic sort order). */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
