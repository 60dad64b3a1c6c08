/**
 * analyzeBalance(): for every Service announced over BGP, which nodes in which racks announce
 * it, the share of its traffic each node (and, with `externalTrafficPolicy: Local`, each
 * endpoint) takes under equal-cost splitting at spine and ToR, and the imbalance: the largest
 * share over the fair share. Above `rack-balance.imbalance-threshold` the Service gets a
 * warning in words an operator can act on. Pure: config and one cluster snapshot in, a report out.
 *
 * Which nodes announce follows plan()'s rules for every node (announcers.ts), so the analysis
 * agrees with what the speakers do. Racks come from a node label (`rack-balance.rack-label`) or from
 * the ToR peers a node sessions with (its peers' `node-selectors`), by their addresses or AS numbers.
 */
import type { IpAddress } from "../../../protocol/ip/index.ts";
import {
  type ClusterSnapshot,
  compareStrings,
  slicesByService as groupSlices,
  type NodeLike,
  nodeLabels,
  type ServiceLike,
  serviceKey,
} from "../../cluster/index.ts";
import type { Config, RackBalance } from "../../config/index.ts";
import type { PlanOptions } from "../plan.ts";
import { announcers } from "./announcers.ts";
import { type Announcer, equalCostSplit, imbalanceRatio, weightedSplit } from "./shares.ts";
import { servingEndpointsByNode, type TrafficPolicy, trafficPolicy } from "./weight.ts";
import { describeImbalance } from "./words.ts";

export interface NodeShare {
  readonly node: string;
  readonly rack: string;
  /**
   * Serving endpoints of the Service on the node; `Local` only (with `Cluster` kube-proxy
   * spreads over every endpoint, so where they run does not change the split).
   */
  readonly endpoints?: number;
  /** Fraction of the Service's traffic under equal-cost splitting at spine and ToR. */
  readonly share: number;
  /** Link bandwidth shares the node announces when its pool corrects (weight.ts), else what it would. */
  readonly weight: number;
  /** Fraction when routers weight next hops by link bandwidth (spine by rack total). */
  readonly weightedShare: number;
}

export interface RackShare {
  readonly rack: string;
  /** Announcing nodes in the rack. */
  readonly nodes: number;
  /** `Local` only, as in NodeShare. */
  readonly endpoints?: number;
  /** Fraction of the Service's traffic the rack takes under equal-cost splitting. */
  readonly share: number;
  readonly weightedShare: number;
}

export interface ServiceBalance {
  /** `namespace/name`. */
  readonly service: string;
  readonly policy: TrafficPolicy;
  /** What a fair split is fair to: nodes (Cluster) or endpoints (Local). */
  readonly unit: "node" | "endpoint";
  /** Sorted by rack. */
  readonly racks: readonly RackShare[];
  /** Sorted by node. */
  readonly nodes: readonly NodeShare[];
  /** 1 / announcing nodes, or 1 / their serving endpoints (Local). */
  readonly fairShare: number;
  /** Largest share of one unit over the fair share, under equal-cost ECMP (≥ 1). */
  readonly imbalance: number;
  /** The same with link-bandwidth weighting honoured end to end. */
  readonly weightedImbalance: number;
  /**
   * Local only: serving endpoints on nodes that do not announce the Service (excluded,
   * cordoned, without a peer, …): they take no external traffic. Not part of the ratio.
   * Always set by analyzeBalance; optional for reports written before it existed.
   */
  readonly idleEndpoints?: number;
  /** True when every pool of its announced addresses has `link-bandwidth: endpoints`. */
  readonly linkBandwidth: boolean;
  /** Pools of the announced addresses, sorted. */
  readonly pools: readonly string[];
  /** One line for status and logs, warning or not. */
  readonly summary: string;
  /** Set when `imbalance` is above the threshold and the pool does not correct it. */
  readonly warning: string | undefined;
}

export interface BalanceReport {
  readonly settings: RackBalance;
  /** Services announced over BGP by at least one node, sorted by key. */
  readonly services: readonly ServiceBalance[];
  /** Things the operator should know about the topology itself (unlabelled nodes, …). */
  readonly notes: readonly string[];
}

/** `tor:10.0.1.1` or `tor:10.0.1.1+10.0.1.2`: the rack of a node found by its peers' addresses. */
export function peersRack(peerAddresses: readonly IpAddress[]): string {
  const names = [...new Set(peerAddresses.map(String))].sort(compareStrings);
  return names.length === 0 ? "no-peer" : `tor:${names.join("+")}`;
}

/**
 * `as:65001` or `as:65001+65002`: the rack of a node found by its peers' AS numbers. In an
 * RFC 7938 Clos every ToR has its own AS (§5.2.1), whatever address each node peers with.
 */
export function peerAsnRack(peerAsns: readonly number[]): string {
  const asns = [...new Set(peerAsns)].sort((a, b) => a - b);
  return asns.length === 0 ? "no-peer" : `as:${asns.join("+")}`;
}

export function analyzeBalance(
  config: Config,
  snapshot: ClusterSnapshot,
  opts: PlanOptions = {},
): BalanceReport {
  const settings = config.rackBalance;
  const notes: string[] = [];
  const nodes = snapshot.nodes.filter((n): n is NodeLike => typeof n?.metadata?.name === "string");
  if (nodes.length === 0)
    return { settings, services: [], notes: ["no Node objects in the snapshot: racks are unknown"] };

  // Which nodes announce each Service, and which peers each node sessions with.
  const { byService, peersOf } = announcers(config, snapshot, opts);

  const rackOf = new Map<string, string>();
  const unlabelled: string[] = [];
  for (const n of nodes) {
    const name = n.metadata.name;
    const peers = peersOf.get(name) ?? [];
    const byPeers = peersRack(peers.map((p) => p.peerAddress));
    const label = nodeLabels(n).get(settings.rackLabel);
    if (settings.racksFrom === "peers") rackOf.set(name, byPeers);
    else if (settings.racksFrom === "peer-asn") rackOf.set(name, peerAsnRack(peers.map((p) => p.peerAsn)));
    else if (label !== undefined && label !== "") rackOf.set(name, label);
    else {
      rackOf.set(name, byPeers);
      unlabelled.push(name);
    }
  }
  if (unlabelled.length > 0) {
    const list = unlabelled.sort(compareStrings);
    notes.push(
      `${list.length === 1 ? "node" : "nodes"} ${list.join(", ")} ${list.length === 1 ? "has" : "have"} no ${settings.rackLabel} label: placed in a rack by ${list.length === 1 ? "its" : "their"} BGP peers`,
    );
  }

  const slicesByService = groupSlices(snapshot.endpointSlices);
  const services = new Map<string, ServiceLike>();
  for (const s of snapshot.services)
    if (typeof s?.metadata?.name === "string") services.set(serviceKey(s), s);
  const poolCorrects = new Map(config.addressPools.map((p) => [p.name, p.linkBandwidth !== "off"]));
  const clusterShares = new Map<string, Shares>();

  const out: ServiceBalance[] = [];
  for (const [key, { nodes: names, pools, family }] of [...byService].sort((a, b) =>
    compareStrings(a[0], b[0]),
  )) {
    const svc = services.get(key)!;
    const policy = trafficPolicy(svc);
    const linkBandwidth = pools.length > 0 && pools.every((p) => poolCorrects.get(p) === true);
    let shares: Shares;
    let idle = 0;
    if (policy === "Cluster") {
      // Every node one share: the split depends on the announcing nodes only, so Services
      // announced by the same nodes share one computation (and one set of arrays in memory).
      const memoKey = names.join("\n");
      let memo = clusterShares.get(memoKey);
      if (memo === undefined) {
        memo = computeShares(
          "Cluster",
          names.map((node) => ({ node, rack: rackOf.get(node)!, endpoints: 0, weight: 1 })),
        );
        clusterShares.set(memoKey, memo);
      }
      shares = memo;
    } else {
      // The same weights plan() puts on routes (weight.ts nodeWeight), for every node at once.
      const counts = servingEndpointsByNode(slicesByService.get(key) ?? [], family);
      const announcers: Announcer[] = names.map((node) => {
        const n = counts.get(node) ?? 0;
        return { node, rack: rackOf.get(node)!, endpoints: n, weight: n };
      });
      const announcing = new Set(names);
      for (const [node, n] of counts) if (!announcing.has(node)) idle += n;
      shares = computeShares("Local", announcers);
    }
    const facts = { service: key, policy, ...shares, idleEndpoints: idle, linkBandwidth, pools };
    const words = describeImbalance({ ...facts, threshold: settings.imbalanceThreshold });
    out.push({ ...facts, summary: words.summary, warning: words.warning });
  }
  return { settings, services: out, notes };
}

/** The numbers of a ServiceBalance that depend only on its announcers. */
type Shares = Pick<
  ServiceBalance,
  "unit" | "racks" | "nodes" | "fairShare" | "imbalance" | "weightedImbalance"
>;

function computeShares(policy: TrafficPolicy, announcers: readonly Announcer[]): Shares {
  const local = policy === "Local";
  const unit = local ? "endpoint" : "node";
  // Local with no endpoint at all cannot happen for an announcing node; weigh by node then.
  const usable = unit === "endpoint" && announcers.some((a) => a.endpoints > 0) ? "endpoint" : "node";
  const equal = equalCostSplit(announcers);
  const weighted = weightedSplit(announcers);
  const imbalance = imbalanceRatio(equal, announcers, usable) ?? 1;
  const weightedImbalance = imbalanceRatio(weighted, announcers, usable) ?? 1;
  const totalEndpoints = announcers.reduce((s, a) => s + a.endpoints, 0);
  const fairShare = usable === "endpoint" ? 1 / totalEndpoints : 1 / announcers.length;
  const equalBy = new Map(equal.map((s) => [s.node, s.share]));
  const weightedBy = new Map(weighted.map((s) => [s.node, s.share]));
  const nodes: NodeShare[] = [...announcers]
    .sort((a, b) => compareStrings(a.node, b.node))
    .map((a) => ({
      node: a.node,
      rack: a.rack,
      ...(local ? { endpoints: a.endpoints } : {}),
      share: equalBy.get(a.node)!,
      weight: a.weight,
      weightedShare: weightedBy.get(a.node)!,
    }));
  const rackNames = [...new Set(nodes.map((n) => n.rack))].sort(compareStrings);
  const racks: RackShare[] = rackNames.map((rack) => {
    const members = nodes.filter((n) => n.rack === rack);
    const sum = (f: (n: NodeShare) => number) => members.reduce((s, n) => s + f(n), 0);
    return {
      rack,
      nodes: members.length,
      ...(local ? { endpoints: sum((n) => n.endpoints ?? 0) } : {}),
      share: sum((n) => n.share),
      weightedShare: sum((n) => n.weightedShare),
    };
  });
  return { unit: usable, racks, nodes, fairShare, imbalance, weightedImbalance };
}
