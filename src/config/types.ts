/**
 * The validated configuration: MetalLB's legacy ConfigMap format with every default filled
 * in, as values (protocol/ip types, no string IPs). See README.md for the YAML side.
 */
import type { IpAddress, IpRange, Prefix } from "../../protocol/ip/index.ts";
import type { Community } from "./community.ts";
import type { Secret } from "./secret.ts";
import type { NodeSelector } from "./selector.ts";

export interface Config {
  readonly peers: readonly Peer[];
  readonly addressPools: readonly AddressPool[];
  /** `bgp-communities`: alias name → community. */
  readonly bgpCommunities: ReadonlyMap<string, Community>;
  readonly bfdProfiles: readonly BfdProfile[];
  /** signalbox addition: where racks come from and when uneven ECMP is warned about. */
  readonly rackBalance: RackBalance;
}

/** How a node's rack is found (signalbox addition, issue #8). */
export type RacksFrom = "label" | "peers" | "peer-asn";

export interface RackBalance {
  /** Node label naming the rack. Default `topology.kubernetes.io/zone`. */
  readonly rackLabel: string;
  /**
   * `label`: the rack is the value of `rackLabel` (a node without it falls back to its peers);
   * `peers`: nodes that session with the same ToR peers (addresses) share a rack;
   * `peer-asn`: nodes whose peers have the same AS numbers share a rack. Default `label`.
   */
  readonly racksFrom: RacksFrom;
  /** Warn when the largest traffic share is above this many times the fair share. Default 1.5. */
  readonly imbalanceThreshold: number;
  /**
   * Send the Link Bandwidth community as the transitive type (0x00) rather than the
   * non-transitive one (0x40), so a ToR passes a one-node rack's value on to the spine.
   * Default true.
   */
  readonly linkBandwidthTransitive: boolean;
}

/**
 * `off`: plain announcements. `endpoints`: attach the Link Bandwidth extended community
 * (RFC 10005) in proportion to the traffic the node should take: its serving endpoints with
 * `externalTrafficPolicy: Local`, one share per node with `Cluster`.
 */
export type LinkBandwidthMode = "off" | "endpoints";

export interface Peer {
  readonly peerAddress: IpAddress;
  readonly peerAsn: number;
  readonly myAsn: number;
  /** Default 179. */
  readonly peerPort: number;
  /** Local address to connect from; undefined: the kernel chooses. */
  readonly sourceAddress: IpAddress | undefined;
  /** Seconds, whole; 0 (no keepalives) or ≥ 3. Default 90. */
  readonly holdTime: number;
  /** Seconds; ≤ holdTime. Default holdTime / 3. */
  readonly keepaliveTime: number;
  /** BGP identifier (IPv4); undefined: chosen by the speaker. */
  readonly routerId: IpAddress | undefined;
  /** TCP MD5 key (RFC 2385). Prints as `<redacted>`. */
  readonly password: Secret | undefined;
  /** Name of an entry in `bfdProfiles`. */
  readonly bfdProfile: string | undefined;
  readonly ebgpMultihop: boolean;
  readonly vrf: string | undefined;
  /** ORed; empty means every node. */
  readonly nodeSelectors: readonly NodeSelector[];
  /** signalbox addition: advertise graceful restart (RFC 4724) as the restarting speaker. Default false. */
  readonly gracefulRestart: boolean;
  /** signalbox addition: the Restart Time we advertise, seconds. Default 120. */
  readonly gracefulRestartTime: number;
  /** signalbox addition: never connect; wait for the peer (RFC 4271 §8.1.1 PassiveTcpEstablishment). */
  readonly passive: boolean;
  /** signalbox addition: next hop for IPv4 routes on an IPv6 session. */
  readonly nextHopV4: IpAddress | undefined;
  /** signalbox addition: next hop for IPv6 routes on an IPv4 session. */
  readonly nextHopV6: IpAddress | undefined;
  /** signalbox addition: GTSM (RFC 5082) with a directly connected peer: TTL 255 out, only 255 in. Default false. */
  readonly ttlSecurity: boolean;
}

export type PoolProtocol = "bgp" | "layer2";

export interface AddressPool {
  readonly name: string;
  readonly protocol: PoolProtocol;
  /** One inclusive range per `addresses` entry, in the order written (a CIDR is its first..last). */
  readonly ranges: readonly IpRange[];
  /** The same addresses as the fewest CIDR prefixes, entry by entry. */
  readonly prefixes: readonly Prefix[];
  /** Default true. */
  readonly autoAssign: boolean;
  /** Default false. Skip IPv4 addresses ending in .0 or .255. */
  readonly avoidBuggyIps: boolean;
  /** BGP pools: at least one (the default ad when none is written); layer2 pools: none. */
  readonly bgpAdvertisements: readonly BgpAdvertisement[];
  /** signalbox addition: weighted announcements (rack balancing). Default `off`. */
  readonly linkBandwidth: LinkBandwidthMode;
  /**
   * signalbox addition, layer2 pools: interfaces to answer on. Empty (the default): those
   * whose subnet holds the address, else every usable one (src/speaker/l2/interfaces.ts).
   */
  readonly interfaces: readonly string[];
}

export interface BgpAdvertisement {
  /** Default 32. */
  readonly aggregationLength: number;
  /** Default 128. */
  readonly aggregationLengthV6: number;
  /** LOCAL_PREF, sent to iBGP peers only. Default 0. */
  readonly localPref: number;
  /** Aliases resolved, in the order written. */
  readonly communities: readonly Community[];
}

/** Unset values are FRR's defaults, as MetalLB fills them. Intervals in milliseconds. */
export interface BfdProfile {
  readonly name: string;
  readonly receiveInterval: number;
  readonly transmitInterval: number;
  readonly detectMultiplier: number;
  readonly echoInterval: number;
  readonly echoMode: boolean;
  readonly passiveMode: boolean;
  readonly minimumTtl: number;
}
