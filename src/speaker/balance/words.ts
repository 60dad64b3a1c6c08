/**
 * The analysis in words an operator can act on, e.g.
 *   "rack r1: 1 node announces and takes 50% of traffic; rack r2: 4 nodes take 12.5% each"
 * Pure formatting; the numbers come from analyze.ts.
 */
import type { TrafficPolicy } from "./weight.ts";

interface RackLike {
  readonly rack: string;
  readonly nodes: number;
  readonly endpoints?: number;
  readonly share: number;
  readonly weightedShare: number;
}

interface NodeLike {
  readonly node: string;
  readonly rack: string;
  readonly endpoints?: number;
  readonly share: number;
}

export interface ImbalanceFacts {
  readonly service: string;
  readonly policy: TrafficPolicy;
  readonly unit: "node" | "endpoint";
  readonly racks: readonly RackLike[];
  readonly nodes: readonly NodeLike[];
  readonly fairShare: number;
  readonly imbalance: number;
  readonly weightedImbalance: number;
  readonly idleEndpoints: number;
  readonly linkBandwidth: boolean;
  readonly pools: readonly string[];
  readonly threshold: number;
}

/** `50%`, `12.5%`, `16.7%`, `0.05%`. */
export function percent(fraction: number): string {
  const v = fraction * 100;
  const s = v >= 0.1 || v === 0 ? v.toFixed(1) : v.toPrecision(1);
  return `${s.replace(/\.0$/, "")}%`;
}

/** `2`, `1.5`, `1.33`. */
export function ratio(x: number): string {
  return x.toFixed(2).replace(/\.?0+$/, "");
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

function endpointPhrase(members: readonly NodeLike[]): string {
  const per = members.flatMap((n) => (n.endpoints ? [n.share / n.endpoints] : []));
  if (per.length === 0) return "";
  const lo = Math.min(...per);
  const hi = Math.max(...per);
  const each = percent(lo) === percent(hi) ? percent(hi) : `${percent(lo)}–${percent(hi)}`;
  return ` (${each} per endpoint)`;
}

/** One rack under equal-cost splitting. */
export function rackPhrase(r: RackLike, nodes: readonly NodeLike[], policy: TrafficPolicy): string {
  const members = nodes.filter((n) => n.rack === r.rack);
  const withEndpoints = policy === "Local" ? ` with ${plural(r.endpoints ?? 0, "endpoint")}` : "";
  const perEndpoint = policy === "Local" ? endpointPhrase(members) : "";
  if (r.nodes === 1)
    return `rack ${r.rack}: 1 node${withEndpoints} announces and takes ${percent(r.share)} of traffic${perEndpoint}`;
  return `rack ${r.rack}: ${r.nodes} nodes${withEndpoints} take ${percent(r.share / r.nodes)} each${perEndpoint}`;
}

export function describeImbalance(f: ImbalanceFacts): { summary: string; warning: string | undefined } {
  let racks = f.racks.map((r) => rackPhrase(r, f.nodes, f.policy)).join("; ");
  if (f.idleEndpoints > 0)
    racks += `; ${plural(f.idleEndpoints, "endpoint")} on nodes that do not announce ${f.idleEndpoints === 1 ? "takes" : "take"} none`;
  let summary = `${racks}; imbalance ${ratio(f.imbalance)}× (threshold ${ratio(f.threshold)})`;
  if (f.linkBandwidth) {
    const weighted = f.racks.map((r) => `rack ${r.rack} ${percent(r.weightedShare)}`).join(", ");
    summary += `; link-bandwidth weights: ${weighted}, imbalance ${ratio(f.weightedImbalance)}× where routers honour them`;
  }
  if (f.imbalance <= f.threshold || f.linkBandwidth) return { summary, warning: undefined };
  const pools = f.pools.map((p) => JSON.stringify(p)).join(", ");
  const spread =
    f.policy === "Local"
      ? "Spread the Service's pods evenly over racks and nodes"
      : "Spread the announcing nodes evenly over racks";
  const warning =
    `uneven ECMP for Service ${f.service}: the busiest ${f.unit} takes ${ratio(f.imbalance)}× its fair share of ` +
    `${percent(f.fairShare)} (threshold ${ratio(f.threshold)}). ${racks}. ${spread}, or set ` +
    `link-bandwidth: endpoints on pool ${pools} if the ToRs and spine do weighted ECMP ` +
    "(FRR does with multipath; its ToRs also need set extcommunity bandwidth cumulative towards the spine).";
  return { summary, warning };
}
