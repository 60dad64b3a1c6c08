/**
 * plan(): what this node's speaker should announce, as a pure function of the config, one
 * cluster snapshot and the node's name. The session layer diffs consecutive plans
 * (`diffRoutes`) and puts only the difference on the wire; the layer-2 responder elects among
 * the eligible nodes listed in `Desired.l2`.
 *
 * Rules, with their MetalLB counterparts (metallb/metallb; v0.12.1 unless noted):
 *
 * 1. Only Services of `type: LoadBalancer` count, and only those of our
 *    `spec.loadBalancerClass` (none by default). Speaker `handleService`, `--lb-class`.
 * 2. A Service's addresses are `status.loadBalancer.ingress[].ip`, written by the controller;
 *    none → `noIngressIp` (MetalLB: "noIPAllocated"). Each address belongs to the pool whose
 *    ranges contain it; none → `notInAnyPool` (MetalLB: "internalError", unknown pool).
 * 3. Node state, this node first: a node labelled
 *    `node.kubernetes.io/exclude-from-external-load-balancers` (any value) → `nodeExcluded`;
 *    condition NetworkUnavailable=True → `nodeNetworkUnavailable` (both `filterNode` in
 *    `bgp_controller.go ShouldAnnounce` and `layer2_controller.go`; `PlanOptions.ignoreExcludeLb`
 *    is `--ignore-exclude-lb`); `spec.unschedulable` → `nodeCordoned` (a signalbox addition:
 *    a cordoned node withdraws before `kubectl drain` evicts its pods, anchors.md idea 8).
 *    When the snapshot lists Nodes but not this one → `nodeUnknown` (MetalLB: `filterNode(nil)`
 *    is "notOwner"). A snapshot with no Nodes at all (a standalone host) counts this node as
 *    healthy and unlabelled.
 * 4. BGP peers: a peer is used by this node when one of its `node-selectors` matches the
 *    node's labels; none means every node (`bgp_controller.go syncPeers`,
 *    `BGPPeer.nodeSelectors`). A bgp-pool address with no such peer → `noMatchingPeer`; a pool
 *    without advertisements → `noMatchingAdvertisement` (the legacy format always has one, the
 *    CRD format may select none).
 * 5. Endpoints (EndpointSlices labelled `kubernetes.io/service-name`): an endpoint serves when
 *    it is ready, or serving and not terminating (discovery.k8s.io/v1 semantics; MetalLB's
 *    `epslices.EndpointCanServe`). `externalTrafficPolicy: Local` → only from nodes with a
 *    serving endpoint on them, else `noLocalEndpoints` (`nodeHasHealthyEndpoint`). Cluster →
 *    only if some endpoint serves on a node not excluded/NetworkUnavailable, else `noEndpoints`
 *    (`hasHealthyEndpoint`); a Service with no EndpointSlice at all is announced (standalone
 *    hosts declare none; MetalLB would withdraw).
 * 6. Routes: each advertisement of the pool turns the address into its prefix of length
 *    `aggregation-length` (IPv4) or `aggregation-length-v6` (IPv6), with the advertisement's
 *    communities and LOCAL_PREF. Routes for one prefix (several advertisements, Services
 *    sharing an IP, or addresses aggregated together) merge: communities united, de-duplicated
 *    and sorted (MetalLB `bgp_controller.go` merges advertisements per prefix the same way);
 *    LOCAL_PREF the largest. Every used peer gets the same route set; the session sends each
 *    family only if it was negotiated.
 *    With `link-bandwidth: endpoints` on the pool the route also carries this node's weight for
 *    each Service (balance/weight.ts; summed when a prefix carries several), announced as the
 *    Link Bandwidth extended community (RFC 10005) for routers doing weighted ECMP.
 * 7. Layer-2 pools: this node is eligible for an address when rules 3 and 5 let it; the
 *    address is listed with every eligible node (sorted) for the election
 *    (`layer2_controller.go ShouldAnnounce` steps 1-4, anchors.md section d). The Service's
 *    decision says `layer2`: whether this node answers is the election's call.
 *
 * Reasons, per address, in the order they are checked: `otherClass`, `noIngressIp` (whole
 * Service), `notInAnyPool`; then for layer-2 pools the node state (3) and endpoints (5), else
 * `layer2`; for bgp pools the node state (3), `noMatchingAdvertisement`, `noMatchingPeer`,
 * endpoints (5), else `announced`. A Service is `announced` when any of its addresses is.
 *
 * Every list in the result is sorted, so equal inputs give deep-equal plans whatever the order
 * of Services, Nodes and EndpointSlices in the snapshot.
 */
import { type IpAddress, Prefix } from "../../protocol/ip/index.ts";
import {
  type ClusterSnapshot,
  compareStrings,
  type EndpointSliceLike,
  endpointsOf,
  slicesByService as groupSlices,
  heldAddresses,
  isCordoned,
  isEndpointServing,
  isExcludedFromLoadBalancers,
  isNetworkUnavailable,
  type NodeLike,
  nodeLabels,
  type ServiceLike,
  serviceKey,
} from "../cluster/index.ts";
import type { AddressPool, Community, Config, Peer, PoolProtocol } from "../config/index.ts";
import { selectsNode } from "../config/index.ts";
import { LINK_BANDWIDTH_UNIT, nodeWeight } from "./balance/weight.ts";

export type Reason =
  | "announced"
  | "layer2"
  | "otherClass"
  | "noIngressIp"
  | "notInAnyPool"
  | "nodeUnknown"
  | "nodeExcluded"
  | "nodeNetworkUnavailable"
  | "nodeCordoned"
  | "noMatchingAdvertisement"
  | "noMatchingPeer"
  | "noLocalEndpoints"
  | "noEndpoints";

export interface PlanOptions {
  /** The `spec.loadBalancerClass` we serve; unset: only Services without a class. */
  readonly loadBalancerClass?: string;
  /** Announce from nodes labelled exclude-from-external-load-balancers (MetalLB `--ignore-exclude-lb`). */
  readonly ignoreExcludeLb?: boolean;
}

export interface Route {
  readonly prefix: Prefix;
  /** Sorted: standard (by value) before large (by global, local1, local2); no duplicates. */
  readonly communities: readonly Community[];
  /** LOCAL_PREF; sent to iBGP peers only. */
  readonly localPref: number;
  /** Service keys (`ns/name`) whose addresses this prefix carries, sorted. */
  readonly services: readonly string[];
  /**
   * Octets per second for the Link Bandwidth extended community (RFC 10005), set when the
   * pool has `link-bandwidth: endpoints`: the node's weight for each Service the prefix carries
   * (balance/weight.ts), summed, times LINK_BANDWIDTH_UNIT.
   */
  readonly linkBandwidth?: number;
}

export interface PeerRoutes {
  /** Stable identity of the peer across plans (see `peerKey`). */
  readonly key: string;
  readonly peer: Peer;
  /** Sorted by prefix. */
  readonly routes: readonly Route[];
}

export interface L2Address {
  readonly ip: IpAddress;
  readonly pool: string;
  /** Services holding this address that this node is eligible for, sorted. */
  readonly services: readonly string[];
  /** Every node eligible for this address (this one included), sorted, for the election. */
  readonly eligibleNodes: readonly string[];
}

export interface AddressDecision {
  readonly ip: IpAddress;
  readonly pool: string | undefined;
  readonly protocol: PoolProtocol | undefined;
  readonly announced: boolean;
  readonly reason: Reason;
}

export interface ServiceDecision {
  /** `namespace/name`. */
  readonly key: string;
  /** The ingress addresses, sorted. */
  readonly ips: readonly IpAddress[];
  /** True when this node announces at least one of its addresses over BGP. */
  readonly announced: boolean;
  /** `announced`, or the reason of the first address (in `ips` order) / of the whole Service. */
  readonly reason: Reason;
  /** Per address, in `ips` order. */
  readonly addresses: readonly AddressDecision[];
}

export interface Desired {
  readonly node: string;
  /** One entry per peer this node uses (even with no routes), sorted by key. */
  readonly bgp: readonly PeerRoutes[];
  /** Layer-2 addresses this node is eligible to answer for, sorted by address. */
  readonly l2: readonly L2Address[];
  /**
   * Every layer-2 address of the cluster with its eligible nodes (`services` lists this
   * node's only, so it is empty where this node is not eligible), sorted by address: the
   * election balances over all of them, identically on every node (src/speaker/l2).
   */
  readonly l2Cluster: readonly L2Address[];
  /** One per LoadBalancer Service, sorted by key. */
  readonly services: readonly ServiceDecision[];
}

export interface PeerRouteDiff {
  readonly key: string;
  /** New routes and routes whose attributes changed (an UPDATE replaces them). */
  readonly announce: readonly Route[];
  readonly withdraw: readonly Prefix[];
}

const isIpv4 = (a: IpAddress) => a.family === 4;

/** `10.0.0.1:179 64500>64501`, plus ` src …` and ` vrf …` when set. Unique within one config. */
export function peerKey(p: Peer): string {
  const host = p.peerAddress.family === 6 ? `[${p.peerAddress}]` : p.peerAddress.toString();
  let k = `${host}:${p.peerPort} ${p.myAsn}>${p.peerAsn}`;
  if (p.sourceAddress !== undefined) k += ` src ${p.sourceAddress}`;
  if (p.vrf !== undefined) k += ` vrf ${p.vrf}`;
  return k;
}

export interface NodeView {
  readonly name: string;
  readonly node: NodeLike | undefined;
  /** Why this node carries no load-balancer traffic, if it does not. */
  readonly blocked: Reason | undefined;
}

export function nodeBlock(node: NodeLike | undefined, opts: PlanOptions): Reason | undefined {
  if (!opts.ignoreExcludeLb && isExcludedFromLoadBalancers(node)) return "nodeExcluded";
  if (isNetworkUnavailable(node)) return "nodeNetworkUnavailable";
  if (isCordoned(node)) return "nodeCordoned";
  return undefined;
}

export function inPool(pool: AddressPool, ip: IpAddress): boolean {
  return pool.ranges.some(
    (r) => r.first.family === ip.family && r.first.compare(ip) <= 0 && ip.compare(r.last) <= 0,
  );
}

export function compareCommunities(a: Community, b: Community): number {
  if (a.kind === "standard" && b.kind === "standard") return a.value - b.value;
  if (a.kind === "large" && b.kind === "large")
    return a.global - b.global || a.local1 - b.local1 || a.local2 - b.local2;
  return a.kind === "standard" ? -1 : 1;
}

function sameCommunities(a: readonly Community[], b: readonly Community[]): boolean {
  return a.length === b.length && a.every((c, i) => compareCommunities(c, b[i]!) === 0);
}

interface RouteAcc {
  prefix: Prefix;
  communities: Community[];
  localPref: number;
  services: Set<string>;
  /** Per Service, its weight on this node; undefined when the pool does not weight. */
  weights: Map<string, number> | undefined;
}

export function plan(
  config: Config,
  snapshot: ClusterSnapshot,
  node: string,
  opts: PlanOptions = {},
): Desired {
  // Nodes: a standalone snapshot may list none; then only this node exists, healthy.
  const nodes = new Map<string, NodeLike>();
  for (const n of snapshot.nodes) if (typeof n?.metadata?.name === "string") nodes.set(n.metadata.name, n);
  const standalone = nodes.size === 0;
  const views: NodeView[] = standalone
    ? [{ name: node, node: undefined, blocked: undefined }]
    : [...nodes.values()].map((n) => ({ name: n.metadata.name, node: n, blocked: nodeBlock(n, opts) }));
  views.sort((a, b) => compareStrings(a.name, b.name));
  const me = views.find((v) => v.name === node);
  const myBlock: Reason | undefined = me === undefined ? "nodeUnknown" : me.blocked;

  const peers = config.peers.filter((p) => selectsNode(p.nodeSelectors, nodeLabels(me?.node)));

  // EndpointSlices by `namespace/service-name`, so each Service finds its own in O(1).
  const slicesByService = groupSlices(snapshot.endpointSlices);

  const routes = new Map<string, RouteAcc>();
  const l2 = new Map<string, { ip: IpAddress; pool: string; services: Set<string>; nodes: Set<string> }>();
  const decisions: ServiceDecision[] = [];

  for (const svc of snapshot.services) {
    if (svc?.spec?.type !== "LoadBalancer" || typeof svc.metadata?.name !== "string") continue;
    const key = serviceKey(svc);
    const ips = heldAddresses(svc).sort((a, b) => a.compare(b));
    const whole = (reason: Reason): ServiceDecision => ({
      key,
      ips,
      announced: false,
      reason,
      addresses: ips.map((ip) => ({ ip, pool: undefined, protocol: undefined, announced: false, reason })),
    });
    const cls = typeof svc.spec.loadBalancerClass === "string" ? svc.spec.loadBalancerClass : undefined;
    if (cls !== opts.loadBalancerClass) {
      decisions.push(whole("otherClass"));
      continue;
    }
    if (ips.length === 0) {
      decisions.push(whole("noIngressIp"));
      continue;
    }

    const gate = endpointGate(svc, slicesByService.get(key) ?? [], views, standalone);
    const addresses: AddressDecision[] = [];
    for (const ip of ips) {
      const pool = config.addressPools.find((p) => inPool(p, ip));
      const decide = (reason: Reason, announced = false): void => {
        addresses.push({ ip, pool: pool?.name, protocol: pool?.protocol, announced, reason });
      };
      if (pool === undefined) {
        decide("notInAnyPool");
        continue;
      }
      if (pool.protocol === "layer2") {
        // Eligible nodes over every Service holding the address, whether or not this node is one.
        const k = ip.toString();
        const e = l2.get(k) ?? { ip, pool: pool.name, services: new Set<string>(), nodes: new Set<string>() };
        l2.set(k, e);
        for (const v of views) if (v.blocked === undefined && gate(v.name) === undefined) e.nodes.add(v.name);
        const why = myBlock ?? gate(node);
        if (why !== undefined) {
          decide(why);
          continue;
        }
        e.services.add(key);
        decide("layer2");
        continue;
      }
      if (myBlock !== undefined) {
        decide(myBlock);
        continue;
      }
      if (pool.bgpAdvertisements.length === 0) {
        decide("noMatchingAdvertisement");
        continue;
      }
      if (peers.length === 0) {
        decide("noMatchingPeer");
        continue;
      }
      const mine = gate(node);
      if (mine !== undefined) {
        decide(mine);
        continue;
      }
      const weight =
        pool.linkBandwidth === "endpoints"
          ? nodeWeight(svc, slicesByService.get(key) ?? [], node, ip.family)
          : undefined;
      for (const ad of pool.bgpAdvertisements) {
        const prefix = prefixOf(ip, isIpv4(ip) ? ad.aggregationLength : ad.aggregationLengthV6);
        const k = prefix.toString();
        const acc = routes.get(k);
        if (acc === undefined) {
          routes.set(k, {
            prefix,
            communities: [...ad.communities],
            localPref: ad.localPref,
            services: new Set([key]),
            weights: weight === undefined ? undefined : new Map([[key, weight]]),
          });
        } else {
          acc.communities.push(...ad.communities);
          acc.localPref = Math.max(acc.localPref, ad.localPref);
          acc.services.add(key);
          if (weight !== undefined) {
            acc.weights ??= new Map();
            acc.weights.set(key, weight);
          }
        }
      }
      decide("announced", true);
    }
    const announced = addresses.some((a) => a.announced);
    decisions.push({
      key,
      ips,
      announced,
      reason: announced ? "announced" : addresses[0]!.reason,
      addresses,
    });
  }

  const routeList: Route[] = [...routes.values()]
    .sort((a, b) => a.prefix.compare(b.prefix))
    .map((r) => ({
      prefix: r.prefix,
      communities: dedupSorted(r.communities),
      localPref: r.localPref,
      services: [...r.services].sort(compareStrings),
      ...(r.weights === undefined
        ? {}
        : { linkBandwidth: [...r.weights.values()].reduce((a, b) => a + b, 0) * LINK_BANDWIDTH_UNIT }),
    }));

  const keyed = peers.map((peer) => ({ key: peerKey(peer), peer }));
  disambiguate(keyed);
  const bgp: PeerRoutes[] = keyed
    .sort((a, b) => compareStrings(a.key, b.key))
    .map(({ key, peer }) => ({ key, peer, routes: routeList }));

  const l2Cluster: L2Address[] = [...l2.values()]
    .sort((a, b) => a.ip.compare(b.ip))
    .map((e) => ({
      ip: e.ip,
      pool: e.pool,
      services: [...e.services].sort(compareStrings),
      eligibleNodes: [...e.nodes].sort(compareStrings),
    }));
  return {
    node,
    bgp,
    l2: l2Cluster.filter((e) => e.services.length > 0),
    l2Cluster,
    services: decisions.sort((a, b) => compareStrings(a.key, b.key)),
  };
}

/** The advertisement's prefix for an address; the config guarantees a valid length. */
function prefixOf(ip: IpAddress, length: number): Prefix {
  const p = Prefix.of(ip, length);
  if (p === undefined) throw new RangeError(`aggregation length ${length} out of range for ${ip}`);
  return p;
}

function dedupSorted(cs: readonly Community[]): Community[] {
  const sorted = [...cs].sort(compareCommunities);
  return sorted.filter((c, i) => i === 0 || compareCommunities(sorted[i - 1]!, c) !== 0);
}

/** Two configured peers with the same key (they differ only in timers or password): number them in config order. */
function disambiguate(keyed: { key: string; peer: Peer }[]): void {
  const seen = new Map<string, number>();
  for (const k of keyed) {
    const n = (seen.get(k.key) ?? 0) + 1;
    seen.set(k.key, n);
    if (n > 1) k.key = `${k.key} #${n}`;
  }
}

/**
 * Rule 5 as a function of a node name: undefined when that node may announce the Service as
 * far as endpoints go, else the reason it may not.
 */
export function endpointGate(
  svc: ServiceLike,
  slices: readonly EndpointSliceLike[],
  views: readonly NodeView[],
  standalone: boolean,
): (node: string) => Reason | undefined {
  const serving = endpointsOf(slices).filter(isEndpointServing);
  if (svc.spec?.externalTrafficPolicy === "Local") {
    const onNodes = new Set<string>();
    for (const e of serving) if (typeof e.nodeName === "string") onNodes.add(e.nodeName);
    return (n) => (onNodes.has(n) ? undefined : "noLocalEndpoints");
  }
  if (slices.length === 0) return () => undefined;
  // MetalLB's hasHealthyEndpoint ignores endpoints on filtered (excluded, NetworkUnavailable) nodes.
  const filtered = new Set<string>();
  if (!standalone)
    for (const v of views)
      if (v.blocked === "nodeExcluded" || v.blocked === "nodeNetworkUnavailable") filtered.add(v.name);
  const any = serving.some((e) => typeof e.nodeName !== "string" || !filtered.has(e.nodeName));
  return () => (any ? undefined : "noEndpoints");
}

function sameRoute(a: Route, b: Route): boolean {
  return (
    a.prefix.equals(b.prefix) &&
    a.localPref === b.localPref &&
    a.linkBandwidth === b.linkBandwidth &&
    sameCommunities(a.communities, b.communities)
  );
}

/**
 * What changes on the wire from one plan to the next, per peer (pure). A route whose
 * attributes changed is announced again (the UPDATE replaces it, RFC 4271 §3.1); which
 * Services a route carries is not on the wire and does not count. A peer that appears gets all
 * its routes; one that disappears gets all of them withdrawn. Peers without changes are left
 * out; the result is sorted by peer key, routes and prefixes by prefix.
 */
export function diffRoutes(before: readonly PeerRoutes[], after: readonly PeerRoutes[]): PeerRouteDiff[] {
  const b = new Map(before.map((p) => [p.key, p.routes]));
  const a = new Map(after.map((p) => [p.key, p.routes]));
  const keys = [...new Set([...b.keys(), ...a.keys()])].sort(compareStrings);
  const out: PeerRouteDiff[] = [];
  for (const key of keys) {
    const old = new Map((b.get(key) ?? []).map((r) => [r.prefix.toString(), r]));
    const now = new Map((a.get(key) ?? []).map((r) => [r.prefix.toString(), r]));
    const announce: Route[] = [];
    const withdraw: Prefix[] = [];
    for (const [k, r] of now) {
      const prev = old.get(k);
      if (prev === undefined || !sameRoute(prev, r)) announce.push(r);
    }
    for (const [k, r] of old) if (!now.has(k)) withdraw.push(r.prefix);
    if (announce.length === 0 && withdraw.length === 0) continue;
    announce.sort((x, y) => x.prefix.compare(y.prefix));
    withdraw.sort((x, y) => x.compare(y));
    out.push({ key, announce, withdraw });
  }
  return out;
}
