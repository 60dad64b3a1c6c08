/**
 * What a speaker tells on each Service (as a Kubernetes event): whether this node announces it
 * and, if not, why — so `kubectl describe service` shows, node by node, who announces and who
 * does not. Pure: the previous verdicts and the new decisions in, the events to tell out. A
 * verdict is told when it changes, not on every plan.
 */
import type { Reason } from "./plan.ts";

/** Each reason of plan() in words an operator can act on. */
export const REASON_TEXT: Readonly<Record<Reason, string>> = {
  announced: "announced over BGP",
  layer2: "eligible for layer 2: the election decides which node answers",
  otherClass: "another load balancer class: not ours",
  noIngressIp: "no IP allocated yet (status.loadBalancer.ingress is empty)",
  notInAnyPool: "the IP lies in no configured pool",
  nodeUnknown: "this node is not in the cluster's Node list",
  nodeExcluded: "this node is labelled node.kubernetes.io/exclude-from-external-load-balancers",
  nodeNetworkUnavailable: "this node's NetworkUnavailable condition is True",
  nodeCordoned: "this node is cordoned (spec.unschedulable): it withdraws before a drain",
  noMatchingAdvertisement: "the pool has no advertisement for this node",
  noMatchingPeer: "no BGP peer's node-selectors match this node",
  noLocalEndpoints: "externalTrafficPolicy is Local and no ready endpoint runs on this node",
  noEndpoints: "the Service has no ready endpoint",
};

export interface ServiceVerdictInput {
  readonly service: string;
  readonly ips: readonly string[];
  readonly announced: boolean;
  readonly reason: Reason;
}

export interface ServiceEvent {
  readonly service: string;
  readonly type: "Normal" | "Warning";
  readonly reason: "Announced" | "NotAnnounced";
  readonly message: string;
}

export function verdictText(node: string, s: ServiceVerdictInput): string {
  const ips = s.ips.join(", ") || "(no IP)";
  return s.announced
    ? `node ${node} announces ${ips} over BGP`
    : `node ${node} does not announce ${ips}: ${REASON_TEXT[s.reason] ?? s.reason} (${s.reason})`;
}

/**
 * The events for verdicts that changed since `told` (Service key → last message), and the new
 * `told`. Services no longer listed are forgotten. A Service with no IP yet is not worth an
 * event: the controller's event covers it.
 */
export function serviceEvents(
  node: string,
  told: ReadonlyMap<string, string>,
  services: readonly ServiceVerdictInput[],
): { events: ServiceEvent[]; told: Map<string, string> } {
  const next = new Map<string, string>();
  const events: ServiceEvent[] = [];
  for (const s of services) {
    if (s.reason === "noIngressIp" || s.reason === "otherClass") continue;
    const message = verdictText(node, s);
    next.set(s.service, message);
    if (told.get(s.service) === message) continue;
    events.push({
      service: s.service,
      type: "Normal",
      reason: s.announced ? "Announced" : "NotAnnounced",
      message,
    });
  }
  return { events, told: next };
}
