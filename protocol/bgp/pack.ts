import type { IpAddress, Prefix } from "../ip/index.ts";
import { AttrFlag, AttrType, encodeAttribute, type PathAttribute } from "./attributes.ts";
import {
  Afi,
  HEADER_LENGTH,
  MAX_EXTENDED_MESSAGE_LENGTH,
  MAX_MESSAGE_LENGTH,
  MessageType,
  Safi,
} from "./constants.ts";
import type { CodecContext } from "./context.ts";
import { writeHeader } from "./header.ts";
import { prefixWireLength, writePrefix } from "./nlri.ts";
import { Writer } from "./writer.ts";

/**
 * Routes of one family that share their path attributes: they travel together, as many per
 * UPDATE as the message size allows (RFC 4271 §9.2, "update groups").
 */
export interface RouteGroup {
  readonly family: 4 | 6;
  /** ORIGIN, AS_PATH, MED, LOCAL_PREF, communities, ... — not NEXT_HOP or MP_*: those are built here. */
  readonly attributes: readonly PathAttribute[];
  /** One next hop, or an IPv6 global + link-local pair (RFC 2545 §3). */
  readonly nextHops: readonly IpAddress[];
  readonly prefixes: readonly Prefix[];
}

/** The largest message the session allows (RFC 4271 §4.1, RFC 8654 §4). */
export function maxMessageLength(ctx: CodecContext): number {
  return ctx.extendedMessage ? MAX_EXTENDED_MESSAGE_LENGTH : MAX_MESSAGE_LENGTH;
}

/** How many prefixes from `start` fit in `budget` octets, and the octets they take. */
function fit(prefixes: readonly Prefix[], start: number, budget: number): { end: number; bytes: number } {
  let bytes = 0;
  let i = start;
  for (; i < prefixes.length; i++) {
    const n = prefixWireLength(prefixes[i]!);
    if (bytes + n > budget) break;
    bytes += n;
  }
  return { end: i, bytes };
}

function writePrefixes(
  b: Uint8Array,
  o: number,
  prefixes: readonly Prefix[],
  from: number,
  to: number,
): number {
  for (let i = from; i < to; i++) o = writePrefix(b, o, prefixes[i]!);
  return o;
}

/**
 * Encodes announcements into the fewest UPDATEs the size limit allows. IPv4 routes with an
 * IPv4 next hop use NEXT_HOP and the NLRI field; everything else goes in MP_REACH_NLRI,
 * placed first among the attributes (RFC 7606 §5.1). MP_REACH_NLRI always uses the Extended
 * Length bit so its size never changes the header.
 */
export function packAnnouncements(group: RouteGroup, ctx: CodecContext): Uint8Array[] {
  if (group.prefixes.length === 0) return [];
  const max = maxMessageLength(ctx);
  const classic = group.family === 4 && group.nextHops.length === 1 && group.nextHops[0]!.family === 4;
  const aw = new Writer(128);
  for (const a of group.attributes) encodeAttribute(aw, a, ctx);
  if (classic)
    encodeAttribute(
      aw,
      { typeCode: AttrType.NEXT_HOP, flags: AttrFlag.TRANSITIVE, nextHop: group.nextHops[0]! },
      ctx,
    );
  const attrs = aw.finish();

  let nh = 0;
  for (const h of group.nextHops) nh += h.byteLength;
  // MP_REACH_NLRI: flags, type, 2-octet length, AFI, SAFI, NH length, NH, reserved.
  const mpFixed = classic ? 0 : 4 + 3 + 1 + nh + 1;
  const fixed = HEADER_LENGTH + 2 + 2 + mpFixed + attrs.length;
  const budget = max - fixed;
  if (budget < prefixWireLength(group.prefixes[0]!))
    throw new RangeError("path attributes leave no room for NLRI");

  const out: Uint8Array[] = [];
  for (let start = 0; start < group.prefixes.length; ) {
    const { end, bytes } = fit(group.prefixes, start, budget);
    const total = fixed + bytes;
    const b = new Uint8Array(total);
    writeHeader(b, total, MessageType.UPDATE);
    let o = HEADER_LENGTH + 2; // Withdrawn Routes Length = 0
    const tpal = total - HEADER_LENGTH - 4 - (classic ? bytes : 0);
    b[o++] = tpal >>> 8;
    b[o++] = tpal & 0xff;
    if (!classic) {
      const mpLen = 3 + 1 + nh + 1 + bytes;
      b[o++] = AttrFlag.OPTIONAL | AttrFlag.EXTENDED_LENGTH;
      b[o++] = AttrType.MP_REACH_NLRI;
      b[o++] = mpLen >>> 8;
      b[o++] = mpLen & 0xff;
      const afi = group.family === 4 ? Afi.IPV4 : Afi.IPV6;
      b[o++] = afi >>> 8;
      b[o++] = afi & 0xff;
      b[o++] = Safi.UNICAST;
      b[o++] = nh;
      for (const h of group.nextHops) o = h.writeTo(b, o);
      b[o++] = 0; // Reserved (RFC 4760 §3)
      o = writePrefixes(b, o, group.prefixes, start, end);
      b.set(attrs, o);
    } else {
      b.set(attrs, o);
      o = writePrefixes(b, o + attrs.length, group.prefixes, start, end);
    }
    out.push(b);
    start = end;
  }
  return out;
}

/**
 * Encodes withdrawals into the fewest UPDATEs: IPv4 in the Withdrawn Routes field, IPv6 in
 * MP_UNREACH_NLRI (RFC 4760 §4). No path attributes accompany an IPv4 withdrawal.
 */
export function packWithdrawals(family: 4 | 6, prefixes: readonly Prefix[], ctx: CodecContext): Uint8Array[] {
  const max = maxMessageLength(ctx);
  const fixed = HEADER_LENGTH + 4 + (family === 6 ? 4 + 3 : 0);
  const out: Uint8Array[] = [];
  for (let start = 0; start < prefixes.length; ) {
    const { end, bytes } = fit(prefixes, start, max - fixed);
    const total = fixed + bytes;
    const b = new Uint8Array(total);
    writeHeader(b, total, MessageType.UPDATE);
    let o = HEADER_LENGTH;
    if (family === 4) {
      b[o++] = bytes >>> 8;
      b[o++] = bytes & 0xff;
      o = writePrefixes(b, o, prefixes, start, end);
      // Total Path Attribute Length = 0
    } else {
      o += 2; // Withdrawn Routes Length = 0
      const mpLen = 3 + bytes;
      const tpal = 4 + mpLen;
      b[o++] = tpal >>> 8;
      b[o++] = tpal & 0xff;
      b[o++] = AttrFlag.OPTIONAL | AttrFlag.EXTENDED_LENGTH;
      b[o++] = AttrType.MP_UNREACH_NLRI;
      b[o++] = mpLen >>> 8;
      b[o++] = mpLen & 0xff;
      b[o++] = 0;
      b[o++] = Afi.IPV6;
      b[o++] = Safi.UNICAST;
      writePrefixes(b, o, prefixes, start, end);
    }
    out.push(b);
    start = end;
  }
  return out;
}

/**
 * End-of-RIB (RFC 4724 §2): for IPv4 unicast an UPDATE with no withdrawn routes, attributes
 * or NLRI (23 octets); for other families an UPDATE holding only an empty MP_UNREACH_NLRI.
 */
export function endOfRib(afi: number, safi: number): Uint8Array {
  if (afi === Afi.IPV4 && safi === Safi.UNICAST) {
    const b = new Uint8Array(HEADER_LENGTH + 4);
    writeHeader(b, b.length, MessageType.UPDATE);
    return b;
  }
  const b = new Uint8Array(HEADER_LENGTH + 4 + 6);
  writeHeader(b, b.length, MessageType.UPDATE);
  b.set(
    [0, 0, 0, 6, AttrFlag.OPTIONAL, AttrType.MP_UNREACH_NLRI, 3, afi >>> 8, afi & 0xff, safi],
    HEADER_LENGTH,
  );
  return b;
}
