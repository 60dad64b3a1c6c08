import type { IpAddress } from "../ip/index.ts";
import { err, ok, type Result } from "../result.ts";
import { upperLayerChecksum } from "./checksum.ts";
import { type L2Error, l2Error } from "./errors.ts";
import { NextHeader } from "./ipv6.ts";

/** ICMPv6 types used here (RFC 4443 §2.1, RFC 4861 §4). */
export const Icmpv6Type = {
  EchoRequest: 128,
  EchoReply: 129,
  RouterSolicitation: 133,
  RouterAdvertisement: 134,
  NeighborSolicitation: 135,
  NeighborAdvertisement: 136,
} as const;

/** An ICMPv6 message (RFC 4443 §2.1): type, code, checksum as received, and the message body. */
export interface Icmpv6Message {
  readonly type: number;
  readonly code: number;
  readonly checksum: number;
  /** Everything after the 4-octet header. */
  readonly body: Uint8Array;
}

export function decodeIcmpv6(bytes: Uint8Array): Result<Icmpv6Message, L2Error> {
  if (bytes.length < 4) return err(l2Error("icmpv6-truncated"));
  return ok({
    type: bytes[0]!,
    code: bytes[1]!,
    checksum: (bytes[2]! << 8) | bytes[3]!,
    body: bytes.subarray(4),
  });
}

/** RFC 4443 §2.3: the message, checksum included, sums to zero over the pseudo-header (RFC 8200 §8.1). */
export function verifyIcmpv6Checksum(bytes: Uint8Array, source: IpAddress, destination: IpAddress): boolean {
  return upperLayerChecksum(source, destination, NextHeader.ICMPv6, bytes) === 0;
}

/** Encodes type, code and body with the RFC 4443 §2.3 checksum for this source and destination. */
export function encodeIcmpv6(
  message: { readonly type: number; readonly code: number; readonly body: Uint8Array },
  source: IpAddress,
  destination: IpAddress,
): Uint8Array {
  const out = new Uint8Array(4 + message.body.length);
  out[0] = message.type;
  out[1] = message.code;
  out.set(message.body, 4);
  const c = upperLayerChecksum(source, destination, NextHeader.ICMPv6, out);
  out[2] = c >>> 8;
  out[3] = c & 0xff;
  return out;
}
