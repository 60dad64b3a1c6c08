import type { IpAddress } from "../ip/index.ts";
import { err, ok, type Result } from "../result.ts";
import { type AfiSafi, type Capability, CapabilityCode } from "./capabilities.ts";
import { Afi, AS_TRANS, Safi } from "./constants.ts";
import { type BgpError, bgpError } from "./errors.ts";
import { ErrorCode, OpenSubcode } from "./notification-codes.ts";
import { capabilitiesOf, type OpenMessage } from "./open.ts";

/** What the local side expects of a peer's OPEN. */
export interface OpenExpectations {
  readonly localAs: number;
  /** The configured peer AS; undefined accepts any (RFC 4271 §6.2 then checks only AS 0). */
  readonly peerAs?: number;
  readonly localBgpId: IpAddress;
}

/** The peer's AS: the 4-octet capability's when present (RFC 6793 §4.1), else My AS. */
export function peerAsOf(open: OpenMessage): number {
  const as4 = capabilitiesOf(open).find((c) => c.code === CapabilityCode.FourOctetAs && !("unknown" in c));
  return as4 !== undefined && "asn" in as4 ? as4.asn : open.myAs;
}

/**
 * The checks of RFC 4271 §6.2 that need the local configuration, on an OPEN that decoded.
 * Returns the peer's (4-octet aware) AS.
 */
export function validateOpen(open: OpenMessage, local: OpenExpectations): Result<number, BgpError> {
  const peerAs = peerAsOf(open);
  // RFC 7607 §2: AS 0 is a Bad Peer AS.
  if (peerAs === 0)
    return err(bgpError(ErrorCode.OpenMessage, OpenSubcode.BadPeerAs, "peer AS 0 (RFC 7607)"));
  if (local.peerAs !== undefined && peerAs !== local.peerAs) {
    return err(
      bgpError(ErrorCode.OpenMessage, OpenSubcode.BadPeerAs, `peer AS ${peerAs}, expected ${local.peerAs}`),
    );
  }
  // RFC 4271 §6.2: a Hold Time of one or two seconds MUST be rejected.
  if (open.holdTime === 1 || open.holdTime === 2) {
    return err(
      bgpError(ErrorCode.OpenMessage, OpenSubcode.UnacceptableHoldTime, `hold time ${open.holdTime}`),
    );
  }
  // RFC 6286 §2.2: any non-zero 32-bit value; unique within the AS for iBGP.
  if (open.bgpId.w0 === 0) {
    return err(bgpError(ErrorCode.OpenMessage, OpenSubcode.BadBgpIdentifier, "BGP Identifier 0.0.0.0"));
  }
  if (peerAs === local.localAs && open.bgpId.equals(local.localBgpId)) {
    return err(
      bgpError(
        ErrorCode.OpenMessage,
        OpenSubcode.BadBgpIdentifier,
        `iBGP peer uses our BGP Identifier ${open.bgpId}`,
      ),
    );
  }
  return ok(peerAs);
}

/** What both OPENs together allow on this session. */
export interface Negotiated {
  readonly peerAs: number;
  readonly ibgp: boolean;
  /** RFC 4271 §4.2: the smaller of the two; 0 disables keepalives and the hold timer. */
  readonly holdTime: number;
  /** RFC 6793 §4: both sides sent capability 65. */
  readonly fourOctetAs: boolean;
  /** RFC 8654 §3: both sides sent capability 6. */
  readonly extendedMessage: boolean;
  /** RFC 4760 §8: families both sides advertised (IPv4 unicast when a side sent none). */
  readonly families: readonly AfiSafi[];
  readonly routeRefresh: boolean;
  readonly enhancedRouteRefresh: boolean;
  /** RFC 8950: families for which both sides allow an IPv6 next hop for IPv4 NLRI. */
  readonly extendedNextHop: readonly AfiSafi[];
  /** The peer's graceful restart capability, if it sent one (RFC 4724 §3). */
  readonly peerGracefulRestart?: Extract<Capability, { code: 64 }>;
}

function families(caps: Capability[]): AfiSafi[] {
  const mp = caps.filter(
    (c): c is Extract<Capability, { code: 1 }> =>
      c.code === CapabilityCode.Multiprotocol && !("unknown" in c),
  );
  // RFC 4760 §8 / RFC 4271: a speaker that sends no multiprotocol capability does IPv4 unicast.
  return mp.length === 0
    ? [{ afi: Afi.IPV4, safi: Safi.UNICAST }]
    : mp.map((c) => ({ afi: c.afi, safi: c.safi }));
}

export function negotiate(sent: OpenMessage, received: OpenMessage, localAs: number): Negotiated {
  const mine = capabilitiesOf(sent);
  const theirs = capabilitiesOf(received);
  const both = (code: number) => mine.some((c) => c.code === code) && theirs.some((c) => c.code === code);
  const ours = families(mine);
  const peer = families(theirs);
  const shared = ours.filter((f) => peer.some((p) => p.afi === f.afi && p.safi === f.safi));
  const nh = (caps: Capability[]) =>
    caps.flatMap((c) => (c.code === CapabilityCode.ExtendedNextHop && "entries" in c ? c.entries : []));
  const theirNh = nh(theirs);
  const extendedNextHop = nh(mine)
    .filter((e) => theirNh.some((t) => t.afi === e.afi && t.safi === e.safi && t.nextHopAfi === e.nextHopAfi))
    .map((e) => ({ afi: e.afi, safi: e.safi }));
  const gr = theirs.find(
    (c): c is Extract<Capability, { code: 64 }> =>
      c.code === CapabilityCode.GracefulRestart && !("unknown" in c),
  );
  const peerAs = peerAsOf(received);
  const n: Negotiated = {
    peerAs,
    ibgp: peerAs === localAs,
    holdTime: Math.min(sent.holdTime, received.holdTime),
    fourOctetAs: both(CapabilityCode.FourOctetAs),
    extendedMessage: both(CapabilityCode.ExtendedMessage),
    families: shared,
    routeRefresh:
      both(CapabilityCode.RouteRefresh) ||
      (mine.some((c) => c.code === 2) && theirs.some((c) => c.code === 128)),
    enhancedRouteRefresh: both(CapabilityCode.EnhancedRouteRefresh),
    extendedNextHop,
  };
  return gr === undefined ? n : { ...n, peerGracefulRestart: gr };
}

/** My Autonomous System for our OPEN: AS_TRANS when the AS needs 4 octets (RFC 6793 §4.1). */
export function openMyAs(localAs: number): number {
  return localAs > 0xffff ? AS_TRANS : localAs;
}
