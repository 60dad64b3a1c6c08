import { IpAddress } from "../ip/index.ts";
import { Reader } from "../reader.ts";
import { err, ok, type Result } from "../result.ts";
import { type L2Error, l2Error } from "./errors.ts";
import { EtherType, encodeEthernet } from "./ethernet.ts";
import { MacAddress } from "./mac.ts";

/** RFC 826 ar$op values (RFC 5494 registry). */
export const ArpOperation = { Request: 1, Reply: 2 } as const;

/** RFC 826 ar$hrd for Ethernet (10 Mb and up). */
export const ARP_HARDWARE_ETHERNET = 1;

/** RFC 826: Ethernet + IPv4 packet is 8 fixed octets, then 6 + 4 + 6 + 4. */
export const ARP_LENGTH = 28;

/**
 * An ARP packet for IPv4 over Ethernet (RFC 826); other hardware and protocol types are
 * rejected when decoding. Field names follow RFC 826's ar$sha, ar$spa, ar$tha, ar$tpa.
 */
export interface ArpPacket {
  readonly operation: number;
  readonly senderMac: MacAddress;
  readonly senderIp: IpAddress;
  readonly targetMac: MacAddress;
  readonly targetIp: IpAddress;
}

/** Decodes the ARP payload of an Ethernet frame; octets after the 28 (Ethernet padding) are ignored. */
export function decodeArp(bytes: Uint8Array): Result<ArpPacket, L2Error> {
  const r = new Reader(bytes);
  const hrd = r.u16();
  const pro = r.u16();
  const hln = r.u8();
  const pln = r.u8();
  const op = r.u16();
  if (op === undefined) return err(l2Error("arp-truncated"));
  if (hrd !== ARP_HARDWARE_ETHERNET || pro !== EtherType.IPv4 || hln !== 6 || pln !== 4)
    return err(l2Error("arp-unsupported", `hrd ${hrd} pro 0x${pro!.toString(16)} hln ${hln} pln ${pln}`));
  const body = r.view(20);
  if (body === undefined) return err(l2Error("arp-truncated"));
  return ok({
    operation: op,
    senderMac: MacAddress.fromBytes(body, 0),
    senderIp: IpAddress.fromBytes(4, body, 6),
    targetMac: MacAddress.fromBytes(body, 10),
    targetIp: IpAddress.fromBytes(4, body, 16),
  });
}

export function encodeArp(p: ArpPacket): Uint8Array {
  const out = new Uint8Array(ARP_LENGTH);
  out[1] = ARP_HARDWARE_ETHERNET;
  out[2] = EtherType.IPv4 >>> 8;
  out[3] = EtherType.IPv4 & 0xff;
  out[4] = 6;
  out[5] = 4;
  out[6] = p.operation >>> 8;
  out[7] = p.operation & 0xff;
  p.senderMac.writeTo(out, 8);
  p.senderIp.writeTo(out, 14);
  p.targetMac.writeTo(out, 18);
  p.targetIp.writeTo(out, 24);
  return out;
}

/**
 * Our reply to an ARP request for `address` (RFC 826 "Packet Reception": swap sender and
 * target, fill in our hardware address, opcode reply), framed to the requester's MAC.
 * Same layout as MetalLB (checklist §9.1): sender = (our MAC, VIP), target = the requester.
 * Padded to the Ethernet minimum, as MetalLB's frames are.
 */
export function arpReplyFrame(request: ArpPacket, ourMac: MacAddress, address: IpAddress): Uint8Array {
  const reply: ArpPacket = {
    operation: ArpOperation.Reply,
    senderMac: ourMac,
    senderIp: address,
    targetMac: request.senderMac,
    targetIp: request.senderIp,
  };
  return encodeEthernet(
    { destination: request.senderMac, source: ourMac, etherType: EtherType.ARP, payload: encodeArp(reply) },
    { padToMinimum: true },
  );
}

/**
 * A gratuitous ARP for `address` (RFC 5227 §3 "ARP Announcement": sender and target IP
 * both the address), broadcast. Send the request and the reply: some clients honour only
 * one of them (MetalLB issue #172).
 *
 * Target hardware address: broadcast by default, as MetalLB does (checklist §9.1), not the
 * zeros RFC 5227 §2.1.1 recommends. Receivers ignore it (RFC 826 updates the cache from
 * the sender fields alone), MetalLB's choice has years of field use across client stacks,
 * and our failover is meant to be indistinguishable from MetalLB's on the wire. Pass
 * MacAddress.ZERO for the RFC 5227 form.
 */
export function gratuitousArpFrame(
  ourMac: MacAddress,
  address: IpAddress,
  operation: number,
  targetMac: MacAddress = MacAddress.BROADCAST,
): Uint8Array {
  const p: ArpPacket = { operation, senderMac: ourMac, senderIp: address, targetMac, targetIp: address };
  return encodeEthernet(
    { destination: MacAddress.BROADCAST, source: ourMac, etherType: EtherType.ARP, payload: encodeArp(p) },
    { padToMinimum: true },
  );
}

/** Both gratuitous frames, request first (what MetalLB's `Gratuitous` sends). */
export function gratuitousArpFrames(ourMac: MacAddress, address: IpAddress): Uint8Array[] {
  return [
    gratuitousArpFrame(ourMac, address, ArpOperation.Request),
    gratuitousArpFrame(ourMac, address, ArpOperation.Reply),
  ];
}
