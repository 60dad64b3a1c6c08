import type { IpAddress } from "../ip/index.ts";

/** RFC 1071 one's-complement sum of 16-bit words, folded to 16 bits (not yet complemented). */
function sum16(bytes: Uint8Array, initial: number): number {
  let sum = initial;
  const n = bytes.length & ~1;
  for (let i = 0; i < n; i += 2) sum += (bytes[i]! << 8) | bytes[i + 1]!;
  // An odd trailing octet is padded with a zero octet (RFC 1071 §4.1).
  if (bytes.length & 1) sum += bytes[bytes.length - 1]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

function wordsSum(a: IpAddress): number {
  let s = 0;
  for (let i = 0; i < 4; i++) {
    const w = a.word(i);
    s += (w >>> 16) + (w & 0xffff);
  }
  return s;
}

/**
 * The RFC 8200 §8.1 upper-layer checksum: the one's complement of the one's-complement sum
 * over the pseudo-header (source, destination, upper-layer length, zeros, next header) and
 * the upper-layer packet. Compute it with the checksum field zeroed; a received packet is
 * intact when the sum over it, checksum included, gives 0.
 */
export function upperLayerChecksum(
  source: IpAddress,
  destination: IpAddress,
  nextHeader: number,
  upperLayer: Uint8Array,
): number {
  const len = upperLayer.length;
  const pseudo = wordsSum(source) + wordsSum(destination) + (len >>> 16) + (len & 0xffff) + nextHeader;
  return ~sum16(upperLayer, pseudo) & 0xffff;
}
