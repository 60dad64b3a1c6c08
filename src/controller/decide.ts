/**
 * The controller's decisions, as pure functions: given the config and every Service, what each
 * Service's `status.loadBalancer.ingress` and pool annotation should be, which writes that
 * takes, and which events to tell.
 *
 * Allocation itself is `reconcile()` from src/ipam (restore every held address first, then
 * assign in key order), so the result depends only on the Services and the config — never on
 * which replica computes it or how often it restarted: a leader change or a restart moves no IP.
 */
import type { IpAddress } from "../../protocol/ip/index.ts";
import { heldAddresses, type ServiceLike, serviceKey } from "../cluster/index.ts";
import type { Config } from "../config/index.ts";
import { describeFailure } from "../ipam/describe.ts";
import { type PoolStatus, reconcile, serviceRequest } from "../ipam/index.ts";

/** Where the controller records the pool an address came from (MetalLB: metallb.io/ip-allocated-from-pool). */
export const POOL_ANNOTATION = "signalbox.io/ip-allocated-from-pool";

/** One Service whose status or annotation must change. */
export interface StatusWrite {
  readonly service: string;
  readonly namespace: string;
  readonly name: string;
  readonly uid: string | undefined;
  /** The ingress IPs, primary family first; empty clears the status. */
  readonly ingress: readonly string[];
  /** The pool annotation's new value; null removes it; undefined leaves it. */
  readonly pool: string | null | undefined;
  readonly statusChanged: boolean;
  /** What it held before (for events and logs). */
  readonly previous: readonly string[];
  readonly why: "allocated" | "changed" | "released";
}

export interface ServiceProblem {
  readonly service: string;
  readonly namespace: string;
  readonly name: string;
  readonly uid: string | undefined;
  /** `AllocationFailed` or `InvalidRequest`. */
  readonly reason: "AllocationFailed" | "InvalidRequest";
  readonly message: string;
}

export interface Allocation {
  readonly service: string;
  readonly ips: readonly string[];
  readonly pool: string | undefined;
}

export interface ControllerPlan {
  readonly writes: readonly StatusWrite[];
  readonly problems: readonly ServiceProblem[];
  readonly allocations: readonly Allocation[];
  readonly pools: readonly PoolStatus[];
  /** Held addresses the config no longer allows (kept: MetalLB never takes an IP away). */
  readonly orphans: readonly { readonly service: string; readonly ip: string; readonly why: string }[];
}

export interface DecideOptions {
  readonly loadBalancerClass?: string;
}

const text = (a: readonly IpAddress[]) => a.map((x) => x.toString());
const sameList = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((x, i) => x === b[i]);

function annotation(svc: ServiceLike): string | undefined {
  const a = svc.metadata.annotations;
  const v = a !== null && typeof a === "object" ? a[POOL_ANNOTATION] : undefined;
  return typeof v === "string" ? v : undefined;
}

function ids(svc: ServiceLike) {
  return {
    service: serviceKey(svc),
    namespace: svc.metadata.namespace || "default",
    name: svc.metadata.name,
    uid: svc.metadata.uid,
  };
}

/** Whether the Service carries ingress entries that are not plain IPs (hostnames): ours to replace. */
function ingressText(svc: ServiceLike): string[] {
  const ingress = svc.status?.loadBalancer?.ingress;
  if (!Array.isArray(ingress)) return [];
  return ingress.map((i) => (typeof i?.ip === "string" ? i.ip : `hostname:${String(i?.hostname)}`));
}

export function decide(
  config: Config,
  services: readonly ServiceLike[],
  opts: DecideOptions = {},
): ControllerPlan {
  const options = opts.loadBalancerClass !== undefined ? { loadBalancerClass: opts.loadBalancerClass } : {};
  const r = reconcile(config.addressPools, services, options);
  const byKey = new Map(services.map((s) => [serviceKey(s), s]));
  const writes: StatusWrite[] = [];
  const problems: ServiceProblem[] = [];

  for (const a of r.assignments) {
    const svc = byKey.get(a.service);
    if (svc === undefined) continue;
    const want = text(a.addresses);
    const have = ingressText(svc);
    const statusChanged = !sameList(want, have);
    const pool = a.pool !== undefined && annotation(svc) !== a.pool ? a.pool : undefined;
    if (!statusChanged && pool === undefined) continue;
    writes.push({
      ...ids(svc),
      ingress: want,
      pool,
      statusChanged,
      previous: text(heldAddresses(svc)),
      why: have.length === 0 ? "allocated" : "changed",
    });
  }

  for (const f of r.failures) {
    const svc = byKey.get(f.service);
    if (svc === undefined) continue;
    const kept = f.kept && f.kept.addresses.length > 0 ? ` (keeps ${text(f.kept.addresses).join(", ")})` : "";
    problems.push({
      ...ids(svc),
      reason: "AllocationFailed",
      message: `${describeFailure(f.failure)}${kept}`,
    });
  }
  for (const i of r.invalid) {
    const svc = byKey.get(i.service);
    if (svc === undefined) continue;
    problems.push({
      ...ids(svc),
      reason: "InvalidRequest",
      message: i.errors.map((e) => `${e.field}: ${e.message}`).join("; "),
    });
  }

  // A Service that stopped being type LoadBalancer gives its addresses back: clear what we wrote.
  for (const svc of services) {
    const req = serviceRequest(svc, options);
    if (req.kind !== "skip" || req.why !== "not-load-balancer") continue;
    if (annotation(svc) === undefined) continue; // not ours
    const have = ingressText(svc);
    writes.push({
      ...ids(svc),
      ingress: [],
      pool: null,
      statusChanged: have.length > 0,
      previous: text(heldAddresses(svc)),
      why: "released",
    });
  }

  writes.sort((a, b) => (a.service < b.service ? -1 : a.service > b.service ? 1 : 0));
  return {
    writes,
    problems,
    allocations: r.assignments.map((a) => ({ service: a.service, ips: text(a.addresses), pool: a.pool })),
    pools: r.allocator.poolStatus(),
    orphans: r.restore.orphans.map((o) => ({
      service: o.service,
      ip: o.address.toString(),
      why: o.why,
    })),
  };
}

/**
 * What the controller wrote but the informer has not shown yet. Without it, a pass that runs
 * before our own write comes back through the watch would see the Service without an address
 * and could give that address to someone else.
 */
export interface Pending {
  readonly ingress: readonly string[];
  readonly pool: string | null | undefined;
  /** resourceVersion the write returned; "" while the write is queued or in flight. */
  readonly resourceVersion: string;
  readonly uid: string | undefined;
}

/** Whether the informer's copy is at least as new as our write (resourceVersions are etcd revisions in practice). */
function caughtUp(svc: ServiceLike, p: Pending): boolean {
  if (p.resourceVersion === "") return false; // queued, not written yet
  const rv = svc.metadata.resourceVersion;
  if (rv === undefined) return true;
  if (rv === p.resourceVersion) return true;
  try {
    return BigInt(rv) >= BigInt(p.resourceVersion);
  } catch {
    return false;
  }
}

/**
 * Services with what we wrote laid over what the informer shows, and the pending entries still
 * needed (those the informer has not caught up with, for Services that still exist).
 */
export function applyPending(
  services: readonly ServiceLike[],
  pending: ReadonlyMap<string, Pending>,
): { services: ServiceLike[]; pending: Map<string, Pending> } {
  const still = new Map<string, Pending>();
  const out = services.map((svc) => {
    const key = serviceKey(svc);
    const p = pending.get(key);
    if (p === undefined) return svc;
    if (
      (p.uid !== undefined && svc.metadata.uid !== undefined && p.uid !== svc.metadata.uid) ||
      caughtUp(svc, p)
    )
      return svc;
    still.set(key, p);
    const annotations = { ...(svc.metadata.annotations ?? {}) };
    if (p.pool === null) delete annotations[POOL_ANNOTATION];
    else if (p.pool !== undefined) annotations[POOL_ANNOTATION] = p.pool;
    return {
      ...svc,
      metadata: { ...svc.metadata, annotations },
      status: { ...svc.status, loadBalancer: { ingress: p.ingress.map((ip) => ({ ip })) } },
    };
  });
  return { services: out, pending: still };
}
