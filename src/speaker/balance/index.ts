/**
 * Rack-aware balancing (issue #8): how evenly equal-cost multipath at the ToRs and the spine
 * spreads each Service's traffic over nodes and endpoints, warnings when it does not, and the
 * link-bandwidth weights that correct it (RFC 10005). Everything here is pure.
 */
export {
  analyzeBalance,
  type BalanceReport,
  type NodeShare,
  peerAsnRack,
  peersRack,
  type RackShare,
  type ServiceBalance,
} from "./analyze.ts";
export { type Announced, type Announcers, announcers } from "./announcers.ts";
export { type BalanceEvent, balanceEvents } from "./events.ts";
export { type Announcer, equalCostSplit, imbalanceRatio, type Split, weightedSplit } from "./shares.ts";
export {
  LINK_BANDWIDTH_UNIT,
  nodeWeight,
  servingEndpointsByNode,
  servingEndpointsOn,
  type TrafficPolicy,
  trafficPolicy,
} from "./weight.ts";
export { describeImbalance, percent, ratio } from "./words.ts";
