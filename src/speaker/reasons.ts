/**
 * plan()'s reasons (src/speaker/plan.ts) in words an operator can act on: for events, the
 * `signalbox status` CLI and logs. Code branches on the Reason values; only people read these.
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
