import { type Family, IpAddress, type IpRange, Prefix } from "../../protocol/ip/index.ts";

function bits(family: Family): number {
  return family === 4 ? 32 : 128;
}

/**
 * The minimal list of CIDRs covering exactly `range` (inclusive), lowest first: the greedy
 * largest-aligned-block walk, as MetalLB's `ipaddr.Summarize`. At most 2 × (32 | 128) entries,
 * computed without enumerating addresses. Empty when first > last or the families differ.
 */
export function summarize(range: IpRange): Prefix[] {
  const family = range.first.family;
  if (range.last.family !== family) return [];
  const width = bits(family);
  let first = range.first.toBigInt();
  const last = range.last.toBigInt();
  const out: Prefix[] = [];
  while (first <= last) {
    // Grow the block while `first` stays aligned to it and it ends inside the range.
    let k = 0;
    while (k < width && ((first >> BigInt(k)) & 1n) === 0n && first + (1n << BigInt(k + 1)) - 1n <= last) k++;
    out.push(Prefix.of(IpAddress.fromBigInt(family, first), width - k)!);
    first += 1n << BigInt(k);
  }
  return out;
}

/** The inclusive range a prefix covers. */
export function prefixRange(prefix: Prefix): IpRange {
  const width = bits(prefix.family);
  const first = prefix.address.toBigInt();
  const size = 1n << BigInt(width - prefix.length);
  return { first: prefix.address, last: IpAddress.fromBigInt(prefix.family, first + size - 1n) };
}

/**
 * MetalLB `ipConfusesBuggyFirmwares`: an IPv4 address whose last octet is 0 or 255. Old
 * firmware treats every such address as a network or broadcast address, not only the
 * first and last of a subnet, so avoidBuggyIps skips all of them.
 */
export function confusesBuggyFirmware(address: IpAddress): boolean {
  if (address.family !== 4) return false;
  const o = address.w0 & 0xff;
  return o === 0 || o === 255;
}

/** Number of IPv4 addresses in [0, x) whose last octet is neither 0 nor 255. */
export function nonBuggyBelow(x: bigint): bigint {
  return x - (x + 255n) / 256n - x / 256n;
}

/** How many addresses a range offers, skipping .0/.255 when `avoidBuggyIps` (IPv4 only). */
export function rangeSize(range: IpRange, avoidBuggyIps: boolean): bigint {
  const first = range.first.toBigInt();
  const last = range.last.toBigInt();
  if (range.last.family !== range.first.family || first > last) return 0n;
  if (avoidBuggyIps && range.first.family === 4) return nonBuggyBelow(last + 1n) - nonBuggyBelow(first);
  return last - first + 1n;
}
