import type { IpAddress } from "../ip/index.ts";
import { ArpOperation, arpReplyFrame, decodeArp } from "./arp.ts";
import type { L2Error } from "./errors.ts";
import { decodeEthernet, EtherType } from "./ethernet.ts";
import { decodeIpv6, isIpv6Multicast } from "./ipv6.ts";
import { ipv6MulticastMac, type MacAddress } from "./mac.ts";
import {
  linkLayerAddressOf,
  NdpOptionType,
  type NeighborSolicitationInvalid,
  solicitedAdvertisementFrame,
  validateNeighborSolicitation,
} from "./ndp.ts";

/** The addresses we answer for on one interface. */
export interface AddressLookup {
  has(address: IpAddress): boolean;
}

/** An immutable set of IP addresses keyed by value (IpAddress has no identity of its own). */
export class AddressSet implements AddressLookup {
  private readonly keys: ReadonlySet<string>;
  readonly size: number;

  constructor(addresses: Iterable<IpAddress>) {
    const keys = new Set<string>();
    for (const a of addresses) keys.add(key(a));
    this.keys = keys;
    this.size = keys.size;
  }

  has(address: IpAddress): boolean {
    return this.keys.has(key(address));
  }
}

function key(a: IpAddress): string {
  return `${a.family}:${a.w0}:${a.w1}:${a.w2}:${a.w3}`;
}

/** What the responder knows about the interface a frame arrived on. */
export interface L2Interface {
  readonly mac: MacAddress;
  /** The interface's link-local address (kept for router-facing messages; answers come from the target). */
  readonly linkLocal?: IpAddress;
  readonly addresses: AddressLookup;
}

/** Why a received frame gets no answer: one table, for counters and logs. */
export const IgnoreReasons = {
  malformed: "the frame could not be decoded",
  "own-frame": "the frame comes from our own MAC",
  "vlan-tagged": "the frame carries an 802.1Q tag: it belongs to a VLAN interface, not this one",
  "not-arp-or-ns": "neither an ARP request nor an ICMPv6 Neighbor Solicitation",
  invalid: "the Neighbor Solicitation fails RFC 4861 §7.1.1",
  "not-for-us":
    "the Ethernet destination is neither ours, broadcast (ARP) nor the IPv6 destination's group (NDP)",
  conflict: "the sender uses an address we answer for: another announcer, or a host configured with it",
  "not-owned": "the target is not an address we answer for on this interface",
} as const;

export type IgnoreReason = keyof typeof IgnoreReasons;

export type L2Decision =
  | {
      readonly action: "ignore";
      readonly reason: IgnoreReason;
      /** With `malformed`: what the decoder said. */
      readonly error?: L2Error;
      /** With `invalid`: the RFC 4861 §7.1.1 check that failed. */
      readonly invalid?: NeighborSolicitationInvalid;
      /** The address concerned (the target; with `conflict`, ours that the sender used). */
      readonly address?: IpAddress;
      /** With `conflict`: the other sender's MAC. */
      readonly mac?: MacAddress;
    }
  | {
      readonly action: "send";
      readonly kind: "arp-reply" | "neighbor-advertisement";
      readonly address: IpAddress;
      readonly frames: readonly Uint8Array[];
    };

function ignore(
  reason: IgnoreReason,
  extra: Omit<L2Decision & { action: "ignore" }, "action" | "reason"> = {},
): L2Decision {
  return { action: "ignore", reason, ...extra };
}

/**
 * What to do with a frame received on an interface: answer an ARP request (RFC 826) or a
 * Neighbor Solicitation (RFC 4861 §7.2.3-§7.2.4) for an address we hold, or say why not.
 * Pure: the responder does the sending and counts the reasons.
 */
export function respond(bytes: Uint8Array, iface: L2Interface): L2Decision {
  const eth = decodeEthernet(bytes);
  if (!eth.ok) return ignore("malformed", { error: eth.error });
  const frame = eth.value;
  // A looped-back copy of our own gratuitous ARP would otherwise look like a conflict.
  if (frame.source.equals(iface.mac)) return ignore("own-frame");
  if (frame.vlan !== undefined) return ignore("vlan-tagged");

  if (frame.etherType === EtherType.ARP) {
    const arp = decodeArp(frame.payload);
    if (!arp.ok) return ignore("malformed", { error: arp.error });
    const p = arp.value;
    // Checklist §10.4: another node announcing our address (or a host using it) is a conflict.
    if (iface.addresses.has(p.senderIp) && !p.senderMac.equals(iface.mac))
      return ignore("conflict", { address: p.senderIp, mac: p.senderMac });
    if (p.operation !== ArpOperation.Request) return ignore("not-arp-or-ns");
    if (!frame.destination.isBroadcast && !frame.destination.equals(iface.mac)) return ignore("not-for-us");
    if (!iface.addresses.has(p.targetIp)) return ignore("not-owned", { address: p.targetIp });
    return {
      action: "send",
      kind: "arp-reply",
      address: p.targetIp,
      frames: [arpReplyFrame(p, iface.mac, p.targetIp)],
    };
  }

  if (frame.etherType === EtherType.IPv6) {
    const ip = decodeIpv6(frame.payload);
    if (!ip.ok) return ignore("malformed", { error: ip.error });
    const { header, payload } = ip.value;
    const ns = validateNeighborSolicitation(header, payload);
    if (!ns.ok)
      return ns.error === "not-neighbor-solicitation"
        ? ignore("not-arp-or-ns")
        : ignore("invalid", { invalid: ns.error });
    const dst = header.destination;
    const toUs =
      frame.destination.equals(iface.mac) ||
      (isIpv6Multicast(dst) && frame.destination.equals(ipv6MulticastMac(dst)));
    if (!toUs) return ignore("not-for-us");
    if (iface.addresses.has(header.source))
      return ignore("conflict", { address: header.source, mac: frame.source });
    const { target, options } = ns.value;
    if (!iface.addresses.has(target)) return ignore("not-owned", { address: target });
    const mac = linkLayerAddressOf(options, NdpOptionType.SourceLinkLayerAddress) ?? frame.source;
    // The answer comes from the target address itself, as Linux answers for an address it
    // owns: we act as its owner (RFC 4861 §7.2.4), and resolvers such as ndisc6 ignore an
    // advertisement whose source is not the target.
    return {
      action: "send",
      kind: "neighbor-advertisement",
      address: target,
      frames: [solicitedAdvertisementFrame({ source: header.source, mac }, iface.mac, target, target)],
    };
  }

  return ignore("not-arp-or-ns");
}
