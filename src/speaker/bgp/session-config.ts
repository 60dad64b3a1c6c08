import { Afi, type Capability, type OpenMessage, openMyAs, Safi } from "../../../protocol/bgp/index.ts";
import type { IpAddress } from "../../../protocol/ip/index.ts";
import type { RevealsSecret } from "../../platform/netsys.ts";

/** One session's settings, from a configured peer (src/speaker/speaker.ts builds them). */
export interface SessionConfig {
  readonly peerAddress: IpAddress;
  readonly peerPort: number;
  readonly peerAs: number;
  readonly localAs: number;
  readonly routerId: IpAddress;
  readonly sourceAddress?: IpAddress;
  /** Seconds; 0 or ≥ 3 (RFC 4271 §4.2). */
  readonly holdTime: number;
  readonly keepaliveTime?: number;
  readonly connectRetryTime: number;
  readonly passive: boolean;
  /** Advertise graceful restart (RFC 4724) with this Restart Time; undefined: not at all. */
  readonly gracefulRestart?: { readonly restartTime: number; readonly restarting: boolean };
  /** Received prefixes above this reset the session with Cease/1 (RFC 4486). */
  readonly maxPrefixes: number;
  /** Advertise RFC 8654 extended messages. */
  readonly extendedMessage: boolean;
  /** IPv6 next hop for IPv6 routes on an IPv4 session (none: such routes are not sent). */
  readonly nextHopV6?: IpAddress;
  /** IPv4 next hop for IPv4 routes on an IPv6 session. */
  readonly nextHopV4?: IpAddress;
  /** TCP MD5 key (RFC 2385), a `Secret`: prints redacted; only the socket code reveals it. */
  readonly password?: RevealsSecret;
  /** GTSM (RFC 5082): TTL 255 out, only 255 accepted; the peer must be directly connected. */
  readonly ttlSecurity?: boolean;
  /** SO_BINDTODEVICE for our own connections (an interface or VRF device). */
  readonly device?: string;
}

/** The OPEN we send: MP for both unicast families, route refresh, 4-octet AS, and options. */
export function localOpen(c: SessionConfig): OpenMessage {
  const caps: Capability[] = [
    { code: 1, afi: Afi.IPV4, safi: Safi.UNICAST },
    { code: 1, afi: Afi.IPV6, safi: Safi.UNICAST },
    { code: 2 },
    { code: 70 },
    { code: 65, asn: c.localAs },
  ];
  if (c.extendedMessage) caps.push({ code: 6 });
  if (c.gracefulRestart !== undefined) {
    // RFC 4724 §3: R after a restart; F per family because the node keeps forwarding while
    // the speaker restarts (kube-proxy and the CNI do the forwarding).
    caps.push({
      code: 64,
      flags: c.gracefulRestart.restarting ? 0x8 : 0,
      restartTime: Math.min(c.gracefulRestart.restartTime, 4095),
      families: [
        { afi: Afi.IPV4, safi: Safi.UNICAST, flags: 0x80 },
        { afi: Afi.IPV6, safi: Safi.UNICAST, flags: 0x80 },
      ],
    });
  }
  return {
    type: "OPEN",
    version: 4,
    myAs: openMyAs(c.localAs),
    holdTime: c.holdTime,
    bgpId: c.routerId,
    parameters: [caps],
  };
}
