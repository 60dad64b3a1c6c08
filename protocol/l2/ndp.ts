import { IpAddress } from "../ip/index.ts";
import { Reader } from "../reader.ts";
import { err, ok, type Result } from "../result.ts";
import { type L2Error, l2Error } from "./errors.ts";
import { EtherType, encodeEthernet } from "./ethernet.ts";
import { decodeIcmpv6, encodeIcmpv6, Icmpv6Type, verifyIcmpv6Checksum } from "./icmpv6.ts";
import {
  ALL_NODES,
  encodeIpv6,
  type Ipv6Header,
  isIpv6Multicast,
  isSolicitedNode,
  isUnspecified,
  NextHeader,
} from "./ipv6.ts";
import { ipv6MulticastMac, MacAddress, solicitedNodeAddress } from "./mac.ts";

/** NDP option types (RFC 4861 §4.6; Nonce: RFC 3971 §5.3.2, used by RFC 7527 enhanced DAD). */
export const NdpOptionType = {
  SourceLinkLayerAddress: 1,
  TargetLinkLayerAddress: 2,
  PrefixInformation: 3,
  RedirectedHeader: 4,
  Mtu: 5,
  Nonce: 14,
} as const;

/** RFC 4861 §4.6.1 with RFC 2464 §6: a link-layer address option on Ethernet has length 1 (8 octets). */
export interface LinkLayerAddressOption {
  readonly kind: "link-layer-address";
  readonly type: typeof NdpOptionType.SourceLinkLayerAddress | typeof NdpOptionType.TargetLinkLayerAddress;
  readonly mac: MacAddress;
}

/** Any other option, kept as the octets after its type and length fields. */
export interface RawOption {
  readonly kind: "raw";
  readonly type: number;
  readonly data: Uint8Array;
}

export type NdpOption = LinkLayerAddressOption | RawOption;

/** RFC 4861 §4.3. */
export interface NeighborSolicitation {
  readonly target: IpAddress;
  readonly options: readonly NdpOption[];
}

/** RFC 4861 §4.4. */
export interface NeighborAdvertisement {
  readonly router: boolean;
  readonly solicited: boolean;
  readonly override: boolean;
  readonly target: IpAddress;
  readonly options: readonly NdpOption[];
}

/** RFC 4861 §4.4 flag bits of the first word. */
const NaFlag = { Router: 0x80000000, Solicited: 0x40000000, Override: 0x20000000 } as const;

/** RFC 4861 §4.6: type, length in units of 8 octets (never 0), value. */
export function decodeNdpOptions(bytes: Uint8Array): Result<NdpOption[], L2Error> {
  const r = new Reader(bytes);
  const out: NdpOption[] = [];
  while (r.remaining > 0) {
    const type = r.u8();
    const length = r.u8();
    if (type === undefined || length === undefined)
      return err(l2Error("ndp-option-overrun", `${r.remaining} octet(s) left`));
    // RFC 4861 §4.6: "Nodes MUST silently discard an ND packet that contains an option with length zero."
    if (length === 0) return err(l2Error("ndp-option-length-zero", `option type ${type}`));
    const data = r.view(length * 8 - 2);
    if (data === undefined) return err(l2Error("ndp-option-overrun", `option type ${type} length ${length}`));
    const isLla =
      (type === NdpOptionType.SourceLinkLayerAddress || type === NdpOptionType.TargetLinkLayerAddress) &&
      length === 1;
    out.push(
      isLla
        ? { kind: "link-layer-address", type, mac: MacAddress.fromBytes(data) }
        : { kind: "raw", type, data: data.slice() },
    );
  }
  return ok(out);
}

export function encodeNdpOptions(options: readonly NdpOption[]): Uint8Array {
  let total = 0;
  for (const o of options) total += optionLength(o) * 8;
  const out = new Uint8Array(total);
  let at = 0;
  for (const o of options) {
    const units = optionLength(o);
    out[at] = o.type;
    out[at + 1] = units;
    if (o.kind === "link-layer-address") o.mac.writeTo(out, at + 2);
    else out.set(o.data, at + 2);
    at += units * 8;
  }
  return out;
}

/** Raw data is padded with zeros to a multiple of 8 octets (RFC 4861 §4.6). */
function optionLength(o: NdpOption): number {
  return o.kind === "link-layer-address" ? 1 : Math.max(1, Math.ceil((o.data.length + 2) / 8));
}

export function linkLayerAddressOf(options: readonly NdpOption[], type: number): MacAddress | undefined {
  for (const o of options) if (o.kind === "link-layer-address" && o.type === type) return o.mac;
  return undefined;
}

/** Decodes the body of a Neighbor Solicitation (after the ICMPv6 type, code and checksum). */
export function decodeNeighborSolicitation(body: Uint8Array): Result<NeighborSolicitation, L2Error> {
  // RFC 4861 §4.3: 4 reserved octets (ignored on receipt), the 16-octet target, options.
  if (body.length < 20) return err(l2Error("ndp-truncated", `${body.length} octets after the ICMP header`));
  const options = decodeNdpOptions(body.subarray(20));
  if (!options.ok) return options;
  return ok({ target: IpAddress.fromBytes(6, body, 4), options: options.value });
}

export function encodeNeighborSolicitation(ns: NeighborSolicitation): Uint8Array {
  const options = encodeNdpOptions(ns.options);
  const out = new Uint8Array(20 + options.length);
  ns.target.writeTo(out, 4);
  out.set(options, 20);
  return out;
}

export function decodeNeighborAdvertisement(body: Uint8Array): Result<NeighborAdvertisement, L2Error> {
  if (body.length < 20) return err(l2Error("ndp-truncated", `${body.length} octets after the ICMP header`));
  const options = decodeNdpOptions(body.subarray(20));
  if (!options.ok) return options;
  const flags = ((body[0]! << 24) | (body[1]! << 16) | (body[2]! << 8) | body[3]!) >>> 0;
  return ok({
    router: (flags & NaFlag.Router) !== 0,
    solicited: (flags & NaFlag.Solicited) !== 0,
    override: (flags & NaFlag.Override) !== 0,
    target: IpAddress.fromBytes(6, body, 4),
    options: options.value,
  });
}

export function encodeNeighborAdvertisement(na: NeighborAdvertisement): Uint8Array {
  const options = encodeNdpOptions(na.options);
  const out = new Uint8Array(20 + options.length);
  out[0] = (na.router ? 0x80 : 0) | (na.solicited ? 0x40 : 0) | (na.override ? 0x20 : 0);
  na.target.writeTo(out, 4);
  out.set(options, 20);
  return out;
}

/**
 * The checks a Neighbor Solicitation must pass (RFC 4861 §7.1.1, plus the destination rule of
 * §4.3), in the order they are made. A failed check means: silently discard.
 */
export const NeighborSolicitationChecks = {
  "not-neighbor-solicitation": { text: "not an ICMPv6 Neighbor Solicitation", rfc: "RFC 4861 §4.3" },
  "hop-limit": { text: "IP Hop Limit is not 255", rfc: "RFC 4861 §7.1.1" },
  checksum: { text: "ICMP checksum is not valid", rfc: "RFC 4861 §7.1.1, RFC 4443 §2.3" },
  "icmp-code": { text: "ICMP Code is not 0", rfc: "RFC 4861 §7.1.1" },
  "icmp-length": { text: "ICMP length is less than 24 octets", rfc: "RFC 4861 §7.1.1" },
  "target-multicast": { text: "Target Address is a multicast address", rfc: "RFC 4861 §7.1.1" },
  "option-length-zero": { text: "an option has length 0", rfc: "RFC 4861 §7.1.1, §4.6" },
  "option-overrun": { text: "an option runs past the end of the message", rfc: "RFC 4861 §4.6" },
  "unspecified-source-destination": {
    text: "source is the unspecified address but the destination is not a solicited-node multicast address",
    rfc: "RFC 4861 §7.1.1",
  },
  "unspecified-source-slla": {
    text: "source is the unspecified address but a Source Link-Layer Address option is present",
    rfc: "RFC 4861 §7.1.1",
  },
  "destination-mismatch": {
    text: "destination is neither the target's solicited-node multicast address nor the target",
    rfc: "RFC 4861 §4.3",
  },
} as const;

export type NeighborSolicitationInvalid = keyof typeof NeighborSolicitationChecks;

/**
 * Validates a received IPv6 packet as a Neighbor Solicitation (RFC 4861 §7.1.1) and decodes it.
 * `icmp` is the IPv6 payload (the whole ICMPv6 message, so the ICMP length is its length).
 */
export function validateNeighborSolicitation(
  header: Ipv6Header,
  icmp: Uint8Array,
): Result<NeighborSolicitation, NeighborSolicitationInvalid> {
  const m = decodeIcmpv6(icmp);
  if (header.nextHeader !== NextHeader.ICMPv6 || !m.ok || m.value.type !== Icmpv6Type.NeighborSolicitation)
    return err("not-neighbor-solicitation");
  // §7.1.1: the hop limit proves the packet was not forwarded by a router.
  if (header.hopLimit !== 255) return err("hop-limit");
  if (!verifyIcmpv6Checksum(icmp, header.source, header.destination)) return err("checksum");
  if (m.value.code !== 0) return err("icmp-code");
  if (icmp.length < 24) return err("icmp-length");
  const ns = decodeNeighborSolicitation(m.value.body);
  if (!ns.ok)
    return err(ns.error.kind === "ndp-option-length-zero" ? "option-length-zero" : "option-overrun");
  const { target, options } = ns.value;
  if (isIpv6Multicast(target)) return err("target-multicast");
  if (isUnspecified(header.source)) {
    // §7.1.1: a DAD probe goes to the solicited-node group and carries no SLLA (§4.3 too).
    if (!isSolicitedNode(header.destination)) return err("unspecified-source-destination");
    if (options.some((o) => o.type === NdpOptionType.SourceLinkLayerAddress))
      return err("unspecified-source-slla");
  }
  if (!header.destination.equals(solicitedNodeAddress(target)) && !header.destination.equals(target))
    return err("destination-mismatch");
  return ok(ns.value);
}

/**
 * Override flag of our solicited advertisements: 1.
 *
 * RFC 4861 §7.2.4 says O SHOULD be 0 for addresses a node proxies, and MetalLB sends 0
 * (checklist §9.1). We set 1 because we are not a proxy beside a real owner: exactly one node
 * answers for a Service IP, and that node is where its traffic must go. With O = 0 a client
 * whose entry is REACHABLE with the old node's MAC only marks it STALE (§7.2.5) and keeps
 * sending to the dead node until neighbour unreachability detection gives up, seconds after
 * a failover; with O = 1 the answer to its next solicitation switches it at once, which our
 * sub-second failover target needs. It is what the kernel sends for its own addresses, and
 * what kube-vip's clients see.
 */
export const SOLICITED_OVERRIDE = true;

/** NDP packets are sent with hop limit 255 (RFC 4861 §4.3, §4.4) so receivers can check §7.1.1. */
export const NDP_HOP_LIMIT = 255;

export interface AdvertisementParams {
  readonly ourMac: MacAddress;
  /** IPv6 source: an address of the sending interface (RFC 4861 §4.4), our link-local one. */
  readonly source: IpAddress;
  readonly destination: IpAddress;
  readonly destinationMac: MacAddress;
  readonly target: IpAddress;
  readonly solicited: boolean;
  readonly override: boolean;
}

/** An Ethernet frame carrying a Neighbor Advertisement with our Target Link-Layer Address option. */
export function neighborAdvertisementFrame(p: AdvertisementParams): Uint8Array {
  const na: NeighborAdvertisement = {
    router: false,
    solicited: p.solicited,
    override: p.override,
    target: p.target,
    options: [{ kind: "link-layer-address", type: NdpOptionType.TargetLinkLayerAddress, mac: p.ourMac }],
  };
  const icmp = encodeIcmpv6(
    { type: Icmpv6Type.NeighborAdvertisement, code: 0, body: encodeNeighborAdvertisement(na) },
    p.source,
    p.destination,
  );
  const ip = encodeIpv6(
    {
      trafficClass: 0,
      flowLabel: 0,
      nextHeader: NextHeader.ICMPv6,
      hopLimit: NDP_HOP_LIMIT,
      source: p.source,
      destination: p.destination,
    },
    icmp,
  );
  return encodeEthernet({
    destination: p.destinationMac,
    source: p.ourMac,
    etherType: EtherType.IPv6,
    payload: ip,
  });
}

/** What the answer to a solicitation needs from it. */
export interface SolicitationOrigin {
  /** The IPv6 source of the NS. */
  readonly source: IpAddress;
  /** Its Source Link-Layer Address option, else the Ethernet source of the frame. */
  readonly mac: MacAddress;
}

/**
 * Our answer to a valid NS for `target` (RFC 4861 §7.2.4): R = 0, O = SOLICITED_OVERRIDE,
 * S = 1 unicast to the NS source; or, when the source is :: (a DAD probe for an address we
 * hold), S = 0 multicast to all-nodes, which tells the prober the address is in use.
 */
export function solicitedAdvertisementFrame(
  origin: SolicitationOrigin,
  ourMac: MacAddress,
  linkLocal: IpAddress,
  target: IpAddress,
): Uint8Array {
  const dad = isUnspecified(origin.source);
  return neighborAdvertisementFrame({
    ourMac,
    source: linkLocal,
    destination: dad ? ALL_NODES : origin.source,
    destinationMac: dad ? ipv6MulticastMac(ALL_NODES) : origin.mac,
    target,
    solicited: !dad,
    override: SOLICITED_OVERRIDE,
  });
}

/** The unsolicited NA sent on takeover (RFC 4861 §7.2.6): S = 0, O = 1, to all-nodes. */
export function unsolicitedAdvertisementFrame(
  ourMac: MacAddress,
  linkLocal: IpAddress,
  target: IpAddress,
): Uint8Array {
  return neighborAdvertisementFrame({
    ourMac,
    source: linkLocal,
    destination: ALL_NODES,
    destinationMac: ipv6MulticastMac(ALL_NODES),
    target,
    solicited: false,
    override: true,
  });
}
