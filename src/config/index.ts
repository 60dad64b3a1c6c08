/**
 * Configuration: MetalLB's legacy ConfigMap format (v0.12.1), parsed and validated into values.
 * The format, defaults and rules are in README.md.
 */
export {
  DEFAULT_IMBALANCE_THRESHOLD,
  DEFAULT_RACK_BALANCE,
  DEFAULT_RACK_LABEL,
  linkBandwidthModes,
} from "./balance.ts";
export { type Community, formatCommunity, parseCommunity } from "./community.ts";
export { parseGoDuration } from "./duration.ts";
export { type ConfigIssue, formatIssue } from "./issues.ts";
export { type ParseResult, parseConfig } from "./parse.ts";
export { notYetApplied } from "./peers.ts";
export { Secret } from "./secret.ts";
export {
  matches,
  type NodeSelector,
  type SelectorOperator,
  type SelectorRequirement,
  selectsNode,
} from "./selector.ts";
export { describePeers, formatCount, poolSize, summarize } from "./summary.ts";
export type {
  AddressPool,
  BfdProfile,
  BgpAdvertisement,
  Config,
  LinkBandwidthMode,
  Peer,
  PoolProtocol,
  RackBalance,
  RacksFrom,
} from "./types.ts";
