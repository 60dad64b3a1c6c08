/**
 * The link bandwidth a node attaches to a Service's route (RFC 10005, the BGP Link Bandwidth
 * extended community; formerly draft-ietf-idr-link-bandwidth): proportional to the traffic the
 * node should take. With `externalTrafficPolicy: Local` a node forwards only to its own pods, so
 * it should take one share per serving endpoint; with `Cluster` kube-proxy spreads over every
 * pod whatever node the packet lands on, so every announcing node should take the same share.
 *
 * Pure; used by plan() (the routes) and analyzeBalance() (the report), so both agree.
 */
import {
  type EndpointSliceLike,
  endpointsOf,
  isEndpointServing,
  type ServiceLike,
} from "../../cluster/index.ts";

/**
 * One share is announced as 1 Mbit/s (125 000 octets per second; RFC 10005 §2 carries octets
 * per second as an IEEE 754 float). Only ratios matter to a router doing weighted ECMP; the
 * unit keeps values exact in a float32 and reads well in router output ("3.000 Mbps" = 3 shares).
 */
export const LINK_BANDWIDTH_UNIT = 125_000;

export type TrafficPolicy = "Cluster" | "Local";

export function trafficPolicy(svc: ServiceLike): TrafficPolicy {
  return svc.spec?.externalTrafficPolicy === "Local" ? "Local" : "Cluster";
}

const addressTypeOf = (family: 4 | 6) => (family === 4 ? "IPv4" : "IPv6");

/**
 * Serving endpoints of the Service on `node` (discovery.k8s.io/v1: ready, or serving and not
 * terminating). A dual-stack Service has one EndpointSlice per family listing the same pods,
 * so only slices of `family` count when there are any.
 */
export function servingEndpointsOn(
  slices: readonly EndpointSliceLike[],
  node: string,
  family: 4 | 6,
): number {
  return servingEndpointsByNode(slices, family).get(node) ?? 0;
}

/** servingEndpointsOn for every node at once: node name → serving endpoints. */
export function servingEndpointsByNode(
  slices: readonly EndpointSliceLike[],
  family: 4 | 6,
): Map<string, number> {
  const own = slices.filter((s) => s.addressType === addressTypeOf(family));
  const counts = new Map<string, number>();
  for (const e of endpointsOf(own.length > 0 ? own : slices))
    if (typeof e.nodeName === "string" && isEndpointServing(e))
      counts.set(e.nodeName, (counts.get(e.nodeName) ?? 0) + 1);
  return counts;
}

/** Shares of the Service's traffic `node` should take: its serving endpoints (Local), else 1. */
export function nodeWeight(
  svc: ServiceLike,
  slices: readonly EndpointSliceLike[],
  node: string,
  family: 4 | 6,
): number {
  return trafficPolicy(svc) === "Local" ? servingEndpointsOn(slices, node, family) : 1;
}
