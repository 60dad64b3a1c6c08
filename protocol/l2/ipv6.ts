import { IpAddress } from "../ip/index.ts";
import { Reader } from "../reader.ts";
import { err, ok, type Result } from "../result.ts";
import { type L2Error, l2Error } from "./errors.ts";

/** Next Header values used here (IANA protocol numbers). */
export const NextHeader = { HopByHop: 0, ICMPv6: 58, NoNextHeader: 59 } as const;

export const IPV6_HEADER_LENGTH = 40;

/** The fixed IPv6 header (RFC 8200 §3). Payload Length is derived from the payload on encode. */
export interface Ipv6Header {
  readonly trafficClass: number;
  readonly flowLabel: number;
  readonly nextHeader: number;
  readonly hopLimit: number;
  readonly source: IpAddress;
  readonly destination: IpAddress;
}

export interface Ipv6Packet {
  readonly header: Ipv6Header;
  /** Exactly Payload Length octets; Ethernet padding after them is dropped. */
  readonly payload: Uint8Array;
}

export function decodeIpv6(bytes: Uint8Array): Result<Ipv6Packet, L2Error> {
  const r = new Reader(bytes);
  const w0 = r.u32();
  const payloadLength = r.u16();
  const nextHeader = r.u8();
  const hopLimit = r.u8();
  const addrs = r.view(32);
  if (addrs === undefined || w0 === undefined || payloadLength === undefined)
    return err(l2Error("ipv6-truncated"));
  const version = w0 >>> 28;
  if (version !== 6) return err(l2Error("ipv6-version", `version ${version}`));
  // RFC 8200 §3: Payload Length counts everything after the fixed header. (A jumbogram's 0
  // with a Hop-by-Hop Jumbo Payload option, RFC 2675, does not occur on Ethernet.)
  const payload = r.view(payloadLength);
  if (payload === undefined)
    return err(l2Error("ipv6-payload-length", `${payloadLength} > ${r.remaining} octets left`));
  return ok({
    header: {
      trafficClass: (w0 >>> 20) & 0xff,
      flowLabel: w0 & 0xfffff,
      nextHeader: nextHeader!,
      hopLimit: hopLimit!,
      source: IpAddress.fromBytes(6, addrs, 0),
      destination: IpAddress.fromBytes(6, addrs, 16),
    },
    payload,
  });
}

export function encodeIpv6(header: Ipv6Header, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(IPV6_HEADER_LENGTH + payload.length);
  const w0 = ((6 << 28) | ((header.trafficClass & 0xff) << 20) | (header.flowLabel & 0xfffff)) >>> 0;
  out[0] = w0 >>> 24;
  out[1] = (w0 >>> 16) & 0xff;
  out[2] = (w0 >>> 8) & 0xff;
  out[3] = w0 & 0xff;
  out[4] = payload.length >>> 8;
  out[5] = payload.length & 0xff;
  out[6] = header.nextHeader;
  out[7] = header.hopLimit;
  header.source.writeTo(out, 8);
  header.destination.writeTo(out, 24);
  out.set(payload, IPV6_HEADER_LENGTH);
  return out;
}

/** RFC 4291 §2.7: ff00::/8. */
export function isIpv6Multicast(a: IpAddress): boolean {
  return a.family === 6 && a.w0 >>> 24 === 0xff;
}

/** RFC 4291 §2.5.2: ::. */
export function isUnspecified(a: IpAddress): boolean {
  return a.w0 === 0 && a.w1 === 0 && a.w2 === 0 && a.w3 === 0;
}

/** RFC 4291 §2.5.6: fe80::/10. */
export function isLinkLocal(a: IpAddress): boolean {
  return a.family === 6 && a.w0 >>> 22 === 0xfe80 >>> 6;
}

/** RFC 4291 §2.7.1: ff02:0:0:0:0:1:ff00::/104. */
export function isSolicitedNode(a: IpAddress): boolean {
  return a.family === 6 && a.w0 === 0xff020000 && a.w1 === 0 && a.w2 === 1 && a.w3 >>> 24 === 0xff;
}

/** RFC 4291 §2.7.1: ff02::1, the link-local all-nodes group. */
export const ALL_NODES = new IpAddress(6, 0xff020000, 0, 0, 1);
