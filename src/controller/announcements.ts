/**
 * Who announces each Service, cluster-wide, for the one event per Service that says which
 * nodes announce it and why the others do not (issue #5). Pure: plan()'s rules 3–5 and 7
 * (src/speaker/plan.ts header) evaluated for every (Service, node) pair with plan.ts's own
 * gates, so the words here cannot drift from what the speakers do.
 *
 * The controller tells it, not each speaker: one event per Service per change, however many
 * nodes there are (a speaker per node telling its own verdict would write nodes × Services
 * events on every burst).
 */
import {
  type ClusterSnapshot,
  compareStrings,
  heldAddresses,
  nodeLabels,
  serviceKey,
  slicesByService,
} from "../cluster/index.ts";
import { type Config, selectsNode } from "../config/index.ts";
import { endpointGate, inPool, type NodeView, nodeBlock, type Reason } from "../speaker/plan.ts";

export interface ServiceAnnouncement {
  readonly service: string;
  readonly namespace: string;
  readonly name: string;
  readonly uid: string | undefined;
  readonly ips: readonly string[];
  /** `bgp`, `layer2`, or both when the Service's addresses lie in pools of both kinds. */
  readonly protocols: readonly string[];
  /** Nodes that announce over BGP (or, for layer 2, are eligible to answer), sorted. */
  readonly nodes: readonly string[];
  /** The others, each with plan()'s reason. */
  readonly not: readonly { readonly node: string; readonly reason: Reason }[];
}

/** For snapshots that list Nodes; Services without an IP in a configured pool are skipped. */
export function announcements(
  config: Config,
  snapshot: ClusterSnapshot,
  opts: { loadBalancerClass?: string } = {},
): ServiceAnnouncement[] {
  const views: NodeView[] = snapshot.nodes
    .filter((n) => typeof n?.metadata?.name === "string")
    .map((n) => ({ name: n.metadata.name, node: n, blocked: nodeBlock(n, {}) }))
    .sort((a, b) => compareStrings(a.name, b.name));
  if (views.length === 0) return [];
  const hasPeer = new Map(
    views.map((v) => [v.name, config.peers.some((p) => selectsNode(p.nodeSelectors, nodeLabels(v.node)))]),
  );
  const slices = slicesByService(snapshot.endpointSlices);

  const out: ServiceAnnouncement[] = [];
  for (const svc of snapshot.services) {
    if (svc?.spec?.type !== "LoadBalancer") continue;
    const cls = typeof svc.spec.loadBalancerClass === "string" ? svc.spec.loadBalancerClass : undefined;
    if (cls !== opts.loadBalancerClass) continue;
    const ips = heldAddresses(svc).sort((a, b) => a.compare(b));
    const pools = ips.flatMap((ip) => config.addressPools.filter((p) => inPool(p, ip)).slice(0, 1));
    if (pools.length === 0) continue;
    const protocols = [...new Set(pools.map((p) => p.protocol))].sort(compareStrings);
    const bgp = protocols.includes("bgp");
    const key = serviceKey(svc);
    const gate = endpointGate(svc, slices.get(key) ?? [], views, false);
    const nodes: string[] = [];
    const not: { node: string; reason: Reason }[] = [];
    for (const v of views) {
      const reason: Reason | undefined =
        v.blocked ?? (bgp && !hasPeer.get(v.name) ? "noMatchingPeer" : undefined) ?? gate(v.name);
      if (reason === undefined) nodes.push(v.name);
      else not.push({ node: v.name, reason });
    }
    out.push({
      service: key,
      namespace: svc.metadata.namespace || "default",
      name: svc.metadata.name,
      uid: svc.metadata.uid,
      ips: ips.map(String),
      protocols,
      nodes,
      not,
    });
  }
  return out;
}

/** At most this many nodes are named per group; the rest are counted. */
const NAMED = 8;

function names(xs: readonly string[]): string {
  return xs.length <= NAMED
    ? xs.join(", ")
    : `${xs.slice(0, NAMED).join(", ")} and ${xs.length - NAMED} more`;
}

/** The event text: who announces, and the others grouped by reason. */
export function announcementText(a: ServiceAnnouncement): string {
  const ips = a.ips.join(", ");
  const l2 = a.protocols.length === 1 && a.protocols[0] === "layer2";
  const head =
    a.nodes.length === 0
      ? `${ips} is announced by no node`
      : l2
        ? `${ips} (layer 2): eligible to answer ${names(a.nodes)}; the speakers elect one (signalbox status service ${a.service})`
        : `${ips} announced over BGP by ${names(a.nodes)}`;
  if (a.not.length === 0) return head;
  const byReason = new Map<string, string[]>();
  for (const n of a.not) byReason.set(n.reason, [...(byReason.get(n.reason) ?? []), n.node]);
  const groups = [...byReason].map(([reason, nodes]) => `${names(nodes)} (${reason})`);
  return `${head}; not by ${groups.join("; ")}`;
}

export interface AnnouncementEvent {
  readonly announcement: ServiceAnnouncement;
  readonly type: "Normal" | "Warning";
  readonly reason: "Announced" | "NotAnnounced";
  readonly message: string;
}

/** The events for texts that changed since `told` (Service key → text), and the new `told`. */
export function announcementEvents(
  told: ReadonlyMap<string, string>,
  list: readonly ServiceAnnouncement[],
): { events: AnnouncementEvent[]; told: Map<string, string> } {
  const next = new Map<string, string>();
  const events: AnnouncementEvent[] = [];
  for (const a of list) {
    const message = announcementText(a);
    next.set(a.service, message);
    if (told.get(a.service) === message) continue;
    events.push({
      announcement: a,
      type: a.nodes.length === 0 ? "Warning" : "Normal",
      reason: a.nodes.length === 0 ? "NotAnnounced" : "Announced",
      message,
    });
  }
  return { events, told: next };
}
