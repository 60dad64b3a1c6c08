/**
 * Which nodes announce each Service over BGP: plan()'s rules 1–6 (plan.ts header) evaluated
 * for every node at once. plan() answers for one node and builds routes; calling it per node
 * costs nodes × Services × the route work (~8 s for 100 nodes and 5 000 Services), this costs
 * one gate check per (Service, node). The rules are plan.ts's own functions (nodeBlock,
 * inPool, endpointGate), and a property test checks the answer against plan() node by node.
 */
import {
  type ClusterSnapshot,
  compareStrings,
  slicesByService as groupSlices,
  heldAddresses,
  type NodeLike,
  nodeLabels,
  serviceKey,
} from "../../cluster/index.ts";
import { type Config, type Peer, selectsNode } from "../../config/index.ts";
import { endpointGate, inPool, type NodeView, nodeBlock, type PlanOptions } from "../plan.ts";

export interface Announced {
  /** Announcing nodes, sorted. */
  readonly nodes: readonly string[];
  /** Pools of the addresses announced, sorted. */
  readonly pools: readonly string[];
  /** Family of the first announced address (which EndpointSlices count). */
  readonly family: 4 | 6;
}

export interface Announcers {
  /** By Service key; only Services some node announces over BGP. */
  readonly byService: ReadonlyMap<string, Announced>;
  /** The peers each node sessions with (its rack when racks come from peers). */
  readonly peersOf: ReadonlyMap<string, readonly Peer[]>;
}

/** For a snapshot that lists Nodes (a standalone snapshot without Nodes has no racks to compare). */
export function announcers(config: Config, snapshot: ClusterSnapshot, opts: PlanOptions = {}): Announcers {
  const nodes = new Map<string, NodeLike>();
  for (const n of snapshot.nodes) if (typeof n?.metadata?.name === "string") nodes.set(n.metadata.name, n);
  const views: NodeView[] = [...nodes.values()]
    .map((n) => ({ name: n.metadata.name, node: n, blocked: nodeBlock(n, opts) }))
    .sort((a, b) => compareStrings(a.name, b.name));
  const peersOf = new Map<string, Peer[]>();
  for (const v of views)
    peersOf.set(
      v.name,
      config.peers.filter((p) => selectsNode(p.nodeSelectors, nodeLabels(v.node))),
    );
  // Rules 3 and 4: nodes that may announce anything over BGP at all.
  const able = views.filter((v) => v.blocked === undefined && peersOf.get(v.name)!.length > 0);

  const slicesByService = groupSlices(snapshot.endpointSlices);

  const byService = new Map<string, Announced>();
  for (const svc of snapshot.services) {
    // Rules 1 and 2.
    if (svc?.spec?.type !== "LoadBalancer" || typeof svc.metadata?.name !== "string") continue;
    const cls = typeof svc.spec.loadBalancerClass === "string" ? svc.spec.loadBalancerClass : undefined;
    if (cls !== opts.loadBalancerClass) continue;
    const ips = heldAddresses(svc).sort((a, b) => a.compare(b));
    const key = serviceKey(svc);
    // Rule 6's precondition: an address of a bgp pool with an advertisement.
    const bgp = ips.flatMap((ip) => {
      const pool = config.addressPools.find((p) => inPool(p, ip));
      return pool?.protocol === "bgp" && pool.bgpAdvertisements.length > 0 ? [{ ip, pool: pool.name }] : [];
    });
    if (bgp.length === 0) continue;
    // Rule 5.
    const gate = endpointGate(svc, slicesByService.get(key) ?? [], views, false);
    const names = able.filter((v) => gate(v.name) === undefined).map((v) => v.name);
    if (names.length === 0) continue;
    byService.set(key, {
      nodes: names,
      pools: [...new Set(bgp.map((b) => b.pool))].sort(compareStrings),
      family: bgp[0]!.ip.family,
    });
  }
  return { byService, peersOf };
}
