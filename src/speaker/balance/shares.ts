/**
 * Expected traffic shares in a two-tier Clos (spine → ToR → node), pure.
 *
 * Equal-cost: a ToR splits a prefix evenly over the nodes of its rack that announce it, and
 * the spine splits evenly over the racks whose ToR has a path (RFC 2992 hash-threshold ECMP;
 * one ECMP member per rack at the spine, so a dual-ToR rack counts once). So a node's share is
 * 1 / racks × 1 / nodes in its rack.
 *
 * Weighted: routers that honour the Link Bandwidth extended community (RFC 10005 §3) weight
 * each next hop by its bandwidth; a ToR that re-advertises the sum of its multipaths
 * (FRR `set extcommunity bandwidth cumulative`, draft-ietf-bess-ebgp-dmz §4) makes the spine
 * weight each rack by the total of its nodes. A node's share is then its weight over the total.
 */

export interface Announcer {
  readonly node: string;
  readonly rack: string;
  /** Serving endpoints on the node (counts only with `externalTrafficPolicy: Local`). */
  readonly endpoints: number;
  /** Link bandwidth shares the node announces (see weight.ts); > 0. */
  readonly weight: number;
}

/** Per node, sorted by node name. */
export interface Split {
  readonly node: string;
  readonly rack: string;
  readonly share: number;
}

function byRack(announcers: readonly Announcer[]): Map<string, Announcer[]> {
  const racks = new Map<string, Announcer[]>();
  for (const a of announcers) {
    const list = racks.get(a.rack);
    if (list === undefined) racks.set(a.rack, [a]);
    else list.push(a);
  }
  return racks;
}

const byNode = (a: { node: string }, b: { node: string }) => (a.node < b.node ? -1 : a.node > b.node ? 1 : 0);

/** Equal-cost splitting at spine and ToR. Empty in, empty out. */
export function equalCostSplit(announcers: readonly Announcer[]): Split[] {
  const racks = byRack(announcers);
  const out: Split[] = [];
  for (const [rack, members] of racks)
    for (const m of members) out.push({ node: m.node, rack, share: 1 / racks.size / members.length });
  return out.sort(byNode);
}

/** Weighted splitting: spine by rack total, ToR by node weight (both honour link bandwidth). */
export function weightedSplit(announcers: readonly Announcer[]): Split[] {
  const total = announcers.reduce((s, a) => s + a.weight, 0);
  if (total <= 0) return equalCostSplit(announcers);
  return announcers.map((a) => ({ node: a.node, rack: a.rack, share: a.weight / total })).sort(byNode);
}

/**
 * The largest share of one unit of capacity over the fair share. The unit is a node
 * (`Cluster`: kube-proxy spreads further, so a node's load is what skews) or an endpoint
 * (`Local`: a node's share is divided among its own endpoints). 1 is perfectly even.
 * Undefined when nothing takes traffic (no announcer, or Local with no endpoints).
 */
export function imbalanceRatio(
  split: readonly Split[],
  announcers: readonly Announcer[],
  unit: "node" | "endpoint",
): number | undefined {
  if (split.length === 0) return undefined;
  if (unit === "node") return Math.max(...split.map((s) => s.share)) * split.length;
  const endpoints = new Map(announcers.map((a) => [a.node, a.endpoints]));
  const total = announcers.reduce((s, a) => s + a.endpoints, 0);
  if (total === 0) return undefined;
  let max = 0;
  for (const s of split) {
    const e = endpoints.get(s.node) ?? 0;
    if (e > 0) max = Math.max(max, s.share / e);
  }
  return max * total;
}
