/**
 * Pool addresses as MetalLB v0.12.1 reads them (`internal/config/config.go parseCIDR`): an entry
 * containing "-" is a range `first-last` (spaces around either side allowed), anything else is
 * a CIDR read like Go's `net.ParseCIDR`, which accepts host bits (`10.0.0.1/24` = `10.0.0.0/24`).
 */
import { IpAddress, type IpRange, Prefix } from "../../protocol/ip/index.ts";

export type AddressEntry =
  | {
      readonly ok: true;
      readonly range: IpRange;
      readonly prefixes: readonly Prefix[];
      readonly warning?: string;
    }
  | { readonly ok: false; readonly message: string };

function show(text: string): string {
  return /^[0-9A-Fa-f.:/ -]{1,60}$/.test(text) ? text : JSON.stringify(text);
}

export function parseAddressEntry(text: string): AddressEntry {
  if (text.includes("-")) return parseRangeEntry(text);
  const slash = text.indexOf("/");
  if (slash < 0) {
    const single = IpAddress.parse(text.trim());
    const hint =
      single === undefined
        ? ""
        : ` (a single address is written ${single}/${single.family === 4 ? 32 : 128})`;
    return { ok: false, message: `${show(text)} is neither a CIDR prefix nor an a-b range${hint}` };
  }
  const prefix = Prefix.parse(text, true);
  if (prefix === undefined) return { ok: false, message: `${show(text)} is not a prefix` };
  const range = prefixRange(prefix);
  const given = IpAddress.parse(text.slice(0, slash))!;
  const warning = given.equals(prefix.address)
    ? undefined
    : `${text} has host bits set; it means ${prefix} (as in MetalLB)`;
  return warning === undefined
    ? { ok: true, range, prefixes: [prefix] }
    : { ok: true, range, prefixes: [prefix], warning };
}

function parseRangeEntry(text: string): AddressEntry {
  const dash = text.indexOf("-");
  const a = text.slice(0, dash).trim();
  const b = text.slice(dash + 1).trim();
  const first = IpAddress.parse(a);
  const last = IpAddress.parse(b);
  const bad = (why: string): AddressEntry => ({
    ok: false,
    message: `${show(text)} is not an IP range: ${why}`,
  });
  if (first === undefined) return bad(`${show(a)} is not an IP address`);
  if (last === undefined) return bad(`${show(b)} is not an IP address`);
  if (first.family !== last.family) return bad("the two ends are of different address families");
  if (first.compare(last) > 0) return bad(`${first} comes after ${last}`);
  return { ok: true, range: { first, last }, prefixes: summarize(first, last) };
}

export function prefixRange(p: Prefix): IpRange {
  const bits = BigInt(Prefix.maxLength(p.family) - p.length);
  const first = p.address;
  const last = IpAddress.fromBigInt(p.family, first.toBigInt() | ((1n << bits) - 1n));
  return { first, last };
}

/** The fewest CIDR prefixes that cover first..last exactly, in address order. */
export function summarize(first: IpAddress, last: IpAddress): Prefix[] {
  const width = Prefix.maxLength(first.family);
  const out: Prefix[] = [];
  let lo = first.toBigInt();
  const hi = last.toBigInt();
  while (lo <= hi) {
    // The largest block aligned at lo that does not pass hi.
    let size = 0;
    while (
      size < width &&
      (lo & ((1n << BigInt(size + 1)) - 1n)) === 0n &&
      lo + (1n << BigInt(size + 1)) - 1n <= hi
    )
      size++;
    out.push(Prefix.of(IpAddress.fromBigInt(first.family, lo), width - size)!);
    lo += 1n << BigInt(size);
  }
  return out;
}

export function rangesOverlap(a: IpRange, b: IpRange): boolean {
  return a.first.family === b.first.family && a.first.compare(b.last) <= 0 && b.first.compare(a.last) <= 0;
}

/** Text of a range for messages: the CIDR when it is exactly one, else `first-last`. */
export function formatRange(r: IpRange): string {
  const ps = summarize(r.first, r.last);
  return ps.length === 1 ? ps[0]!.toString() : `${r.first}-${r.last}`;
}
