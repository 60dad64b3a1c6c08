import { IpAddress, type Prefix } from "../ip/index.ts";
import type { Reader } from "../reader.ts";
import { type AsPathSegment, decodeSegments, encodeSegments, SegmentType } from "./aspath.ts";
import type { ExtendedCommunity, LargeCommunity } from "./communities.ts";
import { Afi, Safi } from "./constants.ts";
import type { CodecContext } from "./context.ts";
import type { ErrorHandling } from "./errors.ts";
import { decodePrefixes, writeNlri } from "./nlri.ts";
import { UpdateSubcode } from "./notification-codes.ts";
import type { Writer } from "./writer.ts";

/** Attribute Flags (RFC 4271 §4.3). The low four bits are sent as 0 and ignored on receipt. */
export const AttrFlag = { OPTIONAL: 0x80, TRANSITIVE: 0x40, PARTIAL: 0x20, EXTENDED_LENGTH: 0x10 } as const;

const WELL_KNOWN = AttrFlag.TRANSITIVE;
const OPTIONAL_TRANSITIVE = AttrFlag.OPTIONAL | AttrFlag.TRANSITIVE;
const OPTIONAL_NON_TRANSITIVE = AttrFlag.OPTIONAL;

/**
 * Path attributes signalbox understands: type code → name, the O/T flags the type requires,
 * and what RFC 7606 §7 does when one is malformed. Everything else is an unknown attribute.
 */
export const AttributeTable = {
  1: {
    name: "ORIGIN",
    flags: WELL_KNOWN,
    onError: "treat-as-withdraw",
    rfc: "RFC 4271 §5.1.1; RFC 7606 §7.1",
  },
  2: {
    name: "AS_PATH",
    flags: WELL_KNOWN,
    onError: "treat-as-withdraw",
    rfc: "RFC 4271 §5.1.2; RFC 7606 §7.2",
  },
  3: {
    name: "NEXT_HOP",
    flags: WELL_KNOWN,
    onError: "treat-as-withdraw",
    rfc: "RFC 4271 §5.1.3; RFC 7606 §7.3",
  },
  4: {
    name: "MULTI_EXIT_DISC",
    flags: OPTIONAL_NON_TRANSITIVE,
    onError: "treat-as-withdraw",
    rfc: "RFC 4271 §5.1.4; RFC 7606 §7.4",
  },
  5: {
    name: "LOCAL_PREF",
    flags: WELL_KNOWN,
    onError: "treat-as-withdraw",
    rfc: "RFC 4271 §5.1.5; RFC 7606 §7.5",
  },
  6: {
    name: "ATOMIC_AGGREGATE",
    flags: WELL_KNOWN,
    onError: "attribute-discard",
    rfc: "RFC 4271 §5.1.6; RFC 7606 §7.6",
  },
  7: {
    name: "AGGREGATOR",
    flags: OPTIONAL_TRANSITIVE,
    onError: "attribute-discard",
    rfc: "RFC 4271 §5.1.7; RFC 7606 §7.7",
  },
  8: {
    name: "COMMUNITIES",
    flags: OPTIONAL_TRANSITIVE,
    onError: "treat-as-withdraw",
    rfc: "RFC 1997; RFC 7606 §7.8",
  },
  9: {
    name: "ORIGINATOR_ID",
    flags: OPTIONAL_NON_TRANSITIVE,
    onError: "treat-as-withdraw",
    rfc: "RFC 4456 §8; RFC 7606 §7.9",
  },
  10: {
    name: "CLUSTER_LIST",
    flags: OPTIONAL_NON_TRANSITIVE,
    onError: "treat-as-withdraw",
    rfc: "RFC 4456 §8; RFC 7606 §7.10",
  },
  14: {
    name: "MP_REACH_NLRI",
    flags: OPTIONAL_NON_TRANSITIVE,
    onError: "session-reset",
    rfc: "RFC 4760 §3; RFC 7606 §7.11",
  },
  15: {
    name: "MP_UNREACH_NLRI",
    flags: OPTIONAL_NON_TRANSITIVE,
    onError: "session-reset",
    rfc: "RFC 4760 §4; RFC 7606 §7.12",
  },
  16: {
    name: "EXTENDED_COMMUNITIES",
    flags: OPTIONAL_TRANSITIVE,
    onError: "treat-as-withdraw",
    rfc: "RFC 4360 §2; RFC 7606 §7.14",
  },
  17: { name: "AS4_PATH", flags: OPTIONAL_TRANSITIVE, onError: "attribute-discard", rfc: "RFC 6793 §3, §6" },
  18: {
    name: "AS4_AGGREGATOR",
    flags: OPTIONAL_TRANSITIVE,
    onError: "attribute-discard",
    rfc: "RFC 6793 §3, §6",
  },
  32: {
    name: "LARGE_COMMUNITY",
    flags: OPTIONAL_TRANSITIVE,
    onError: "treat-as-withdraw",
    rfc: "RFC 8092 §3, §6",
  },
} as const satisfies Record<number, { name: string; flags: number; onError: ErrorHandling; rfc: string }>;

export type KnownTypeCode = keyof typeof AttributeTable;

export const AttrType = {
  ORIGIN: 1,
  AS_PATH: 2,
  NEXT_HOP: 3,
  MULTI_EXIT_DISC: 4,
  LOCAL_PREF: 5,
  ATOMIC_AGGREGATE: 6,
  AGGREGATOR: 7,
  COMMUNITIES: 8,
  ORIGINATOR_ID: 9,
  CLUSTER_LIST: 10,
  MP_REACH_NLRI: 14,
  MP_UNREACH_NLRI: 15,
  EXTENDED_COMMUNITIES: 16,
  AS4_PATH: 17,
  AS4_AGGREGATOR: 18,
  LARGE_COMMUNITY: 32,
} as const;

export function attributeInfo(typeCode: number): (typeof AttributeTable)[KnownTypeCode] | undefined {
  return (AttributeTable as Record<number, (typeof AttributeTable)[KnownTypeCode]>)[typeCode];
}

export const Origin = { IGP: 0, EGP: 1, INCOMPLETE: 2 } as const;

/** A decoded path attribute. `flags` are kept as received so re-encoding is byte-exact. */
export type PathAttribute =
  | { readonly typeCode: 1; readonly flags: number; readonly origin: number }
  | { readonly typeCode: 2 | 17; readonly flags: number; readonly segments: readonly AsPathSegment[] }
  | { readonly typeCode: 3; readonly flags: number; readonly nextHop: IpAddress }
  | { readonly typeCode: 4; readonly flags: number; readonly med: number }
  | { readonly typeCode: 5; readonly flags: number; readonly localPref: number }
  | { readonly typeCode: 6; readonly flags: number }
  | { readonly typeCode: 7 | 18; readonly flags: number; readonly asn: number; readonly address: IpAddress }
  | { readonly typeCode: 8; readonly flags: number; readonly communities: readonly number[] }
  | { readonly typeCode: 9; readonly flags: number; readonly originatorId: IpAddress }
  | { readonly typeCode: 10; readonly flags: number; readonly clusterList: readonly number[] }
  | MpReachNlri
  | MpUnreachNlri
  | { readonly typeCode: 16; readonly flags: number; readonly communities: readonly ExtendedCommunity[] }
  | { readonly typeCode: 32; readonly flags: number; readonly communities: readonly LargeCommunity[] }
  | UnknownAttribute;

/** MP_REACH_NLRI (RFC 4760 §3) for IPv4/IPv6 unicast. Next hops: one, or IPv6 global + link-local (RFC 2545 §3). */
export interface MpReachNlri {
  readonly typeCode: 14;
  readonly flags: number;
  readonly afi: number;
  readonly safi: number;
  readonly nextHops: readonly IpAddress[];
  readonly nlri: readonly Prefix[];
}

/** MP_UNREACH_NLRI (RFC 4760 §4). No prefixes + IPv6 unicast is the IPv6 End-of-RIB (RFC 4724 §2). */
export interface MpUnreachNlri {
  readonly typeCode: 15;
  readonly flags: number;
  readonly afi: number;
  readonly safi: number;
  readonly withdrawn: readonly Prefix[];
}

/** An attribute we do not interpret (or MP_* of a family we do not speak), kept as bytes. */
export interface UnknownAttribute {
  readonly typeCode: number;
  readonly flags: number;
  readonly value: Uint8Array;
  readonly unknown: true;
}

/** Why an attribute's value is malformed: the RFC 4271 §6.3 subcode and a reason. */
export interface AttributeFault {
  readonly subcode: number;
  readonly reason: string;
}

function fault(subcode: number, reason: string): AttributeFault {
  return { subcode, reason };
}

function lengthFault(name: string, len: number, expected: string): AttributeFault {
  return fault(UpdateSubcode.AttributeLengthError, `${name} length ${len}, expected ${expected}`);
}

function familyOf(afi: number): 4 | 6 | undefined {
  return afi === Afi.IPV4 ? 4 : afi === Afi.IPV6 ? 6 : undefined;
}

/** Decodes one attribute value of a known type; `r` spans exactly the value. */
export function decodeAttributeValue(
  typeCode: KnownTypeCode,
  flags: number,
  r: Reader,
  ctx: CodecContext,
): PathAttribute | AttributeFault {
  const len = r.remaining;
  const asnSize = ctx.fourOctetAs ? 4 : 2;
  switch (typeCode) {
    case 1: {
      if (len !== 1) return lengthFault("ORIGIN", len, "1");
      const origin = r.u8()!;
      // RFC 4271 §6.3: an undefined ORIGIN value is Invalid ORIGIN Attribute.
      if (origin > Origin.INCOMPLETE) return fault(UpdateSubcode.InvalidOrigin, `ORIGIN value ${origin}`);
      return { typeCode, flags, origin };
    }
    case 2:
    case 17: {
      const segments = decodeSegments(r, typeCode === 17 ? 4 : asnSize);
      if (typeof segments === "string") {
        return fault(
          typeCode === 2 ? UpdateSubcode.MalformedAsPath : UpdateSubcode.OptionalAttributeError,
          segments,
        );
      }
      // RFC 7607 §2: AS 0 in AS_PATH or AS4_PATH makes the attribute malformed.
      if (segments.some((s) => s.asns.includes(0))) {
        return fault(
          typeCode === 2 ? UpdateSubcode.MalformedAsPath : UpdateSubcode.OptionalAttributeError,
          "AS 0 in path",
        );
      }
      // RFC 5065 §5: confederation segments from outside our confederation (signalbox is
      // never in one) make the AS_PATH malformed.
      if (
        segments.some(
          (s) => s.type === SegmentType.AS_CONFED_SEQUENCE || s.type === SegmentType.AS_CONFED_SET,
        )
      ) {
        return fault(
          typeCode === 2 ? UpdateSubcode.MalformedAsPath : UpdateSubcode.OptionalAttributeError,
          "confederation segment",
        );
      }
      return { typeCode, flags, segments };
    }
    case 3: {
      if (len !== 4) return lengthFault("NEXT_HOP", len, "4");
      const nextHop = new IpAddress(4, r.u32()!);
      // RFC 4271 §6.3: a syntactically incorrect NEXT_HOP. 0.0.0.0, multicast and limited
      // broadcast can never be a next hop.
      if (nextHop.w0 === 0 || nextHop.w0 >>> 28 === 0xe || nextHop.w0 === 0xffffffff) {
        return fault(UpdateSubcode.InvalidNextHop, `NEXT_HOP ${nextHop} is not a unicast address`);
      }
      return { typeCode, flags, nextHop };
    }
    case 4:
      if (len !== 4) return lengthFault("MULTI_EXIT_DISC", len, "4");
      return { typeCode, flags, med: r.u32()! };
    case 5:
      if (len !== 4) return lengthFault("LOCAL_PREF", len, "4");
      return { typeCode, flags, localPref: r.u32()! };
    case 6:
      if (len !== 0) return lengthFault("ATOMIC_AGGREGATE", len, "0");
      return { typeCode, flags };
    case 7:
    case 18: {
      const size = typeCode === 18 ? 4 : asnSize;
      if (len !== size + 4)
        return lengthFault(typeCode === 7 ? "AGGREGATOR" : "AS4_AGGREGATOR", len, String(size + 4));
      const asn = size === 4 ? r.u32()! : r.u16()!;
      // RFC 7607 §2: AS 0 in AGGREGATOR / AS4_AGGREGATOR is malformed (→ attribute discard).
      if (asn === 0) return fault(UpdateSubcode.OptionalAttributeError, "AS 0 in aggregator");
      return { typeCode, flags, asn, address: new IpAddress(4, r.u32()!) };
    }
    case 8: {
      if (len === 0 || len % 4 !== 0) return lengthFault("COMMUNITIES", len, "a non-zero multiple of 4");
      const communities: number[] = [];
      while (r.remaining > 0) communities.push(r.u32()!);
      return { typeCode, flags, communities };
    }
    case 9:
      if (len !== 4) return lengthFault("ORIGINATOR_ID", len, "4");
      return { typeCode, flags, originatorId: new IpAddress(4, r.u32()!) };
    case 10: {
      if (len === 0 || len % 4 !== 0) return lengthFault("CLUSTER_LIST", len, "a non-zero multiple of 4");
      const clusterList: number[] = [];
      while (r.remaining > 0) clusterList.push(r.u32()!);
      return { typeCode, flags, clusterList };
    }
    case 14:
      return decodeMpReach(flags, r);
    case 15:
      return decodeMpUnreach(flags, r);
    case 16: {
      if (len === 0 || len % 8 !== 0)
        return lengthFault("EXTENDED_COMMUNITIES", len, "a non-zero multiple of 8");
      const communities: ExtendedCommunity[] = [];
      while (r.remaining > 0) communities.push(r.copy(8)!);
      return { typeCode, flags, communities };
    }
    case 32: {
      if (len === 0 || len % 12 !== 0)
        return lengthFault("LARGE_COMMUNITY", len, "a non-zero multiple of 12");
      const communities: LargeCommunity[] = [];
      while (r.remaining > 0)
        communities.push({ globalAdmin: r.u32()!, localData1: r.u32()!, localData2: r.u32()! });
      return { typeCode, flags, communities };
    }
  }
}

function decodeMpReach(flags: number, r: Reader): PathAttribute | AttributeFault {
  const start = r.offset;
  const afi = r.u16();
  const safi = r.u8();
  const nhLen = r.u8();
  if (afi === undefined || safi === undefined || nhLen === undefined) {
    return fault(UpdateSubcode.OptionalAttributeError, "MP_REACH_NLRI shorter than its fixed fields");
  }
  const family = familyOf(afi);
  if (family === undefined || safi !== Safi.UNICAST) {
    // A family we do not speak: keep the bytes, do not interpret them (RFC 4760 §7).
    r.offset = start;
    return { typeCode: 14, flags, value: r.rest().slice(), unknown: true };
  }
  const nh = r.sub(nhLen);
  const reserved = r.u8();
  if (nh === undefined || reserved === undefined) {
    return fault(
      UpdateSubcode.OptionalAttributeError,
      `MP_REACH_NLRI next hop length ${nhLen} overruns the attribute`,
    );
  }
  const nextHops: IpAddress[] = [];
  // IPv4 next hop (RFC 4760), IPv6 global or global + link-local (RFC 2545 §3), IPv6 next
  // hop for IPv4 NLRI (RFC 8950 §3).
  if (nhLen === 4) nextHops.push(IpAddress.fromBytes(4, nh.view(4)!));
  else if (nhLen === 16 || nhLen === 32) {
    for (let i = 0; i < nhLen / 16; i++) nextHops.push(IpAddress.fromBytes(6, nh.view(16)!));
  } else {
    return fault(
      UpdateSubcode.OptionalAttributeError,
      `MP_REACH_NLRI next hop length ${nhLen} for AFI ${afi}`,
    );
  }
  if (family === 6 && nhLen === 4) {
    return fault(UpdateSubcode.OptionalAttributeError, "MP_REACH_NLRI IPv4 next hop for IPv6 NLRI");
  }
  const nlri: Prefix[] = [];
  if (!decodePrefixes(r.bytes, r.offset, r.end, family, nlri)) {
    return fault(UpdateSubcode.InvalidNetworkField, "MP_REACH_NLRI prefix malformed");
  }
  return { typeCode: 14, flags, afi, safi, nextHops, nlri };
}

function decodeMpUnreach(flags: number, r: Reader): PathAttribute | AttributeFault {
  const start = r.offset;
  const afi = r.u16();
  const safi = r.u8();
  if (afi === undefined || safi === undefined) {
    return fault(UpdateSubcode.OptionalAttributeError, "MP_UNREACH_NLRI shorter than its fixed fields");
  }
  const family = familyOf(afi);
  if (family === undefined || safi !== Safi.UNICAST) {
    r.offset = start;
    return { typeCode: 15, flags, value: r.rest().slice(), unknown: true };
  }
  const withdrawn: Prefix[] = [];
  if (!decodePrefixes(r.bytes, r.offset, r.end, family, withdrawn)) {
    return fault(UpdateSubcode.InvalidNetworkField, "MP_UNREACH_NLRI prefix malformed");
  }
  return { typeCode: 15, flags, afi, safi, withdrawn };
}

/** Writes one attribute: flags, type, length (1 or 2 octets), value. */
export function encodeAttribute(w: Writer, a: PathAttribute, ctx: CodecContext): void {
  const asnSize = ctx.fourOctetAs ? 4 : 2;
  const body = (bw: Writer) => {
    if ("unknown" in a) {
      bw.bytes(a.value);
      return;
    }
    switch (a.typeCode) {
      case 1:
        bw.u8(a.origin);
        break;
      case 2:
      case 17:
        encodeSegments(bw, a.segments, a.typeCode === 17 ? 4 : asnSize);
        break;
      case 3:
        bw.u32(a.nextHop.w0);
        break;
      case 4:
        bw.u32(a.med);
        break;
      case 5:
        bw.u32(a.localPref);
        break;
      case 6:
        break;
      case 7:
      case 18:
        if (a.typeCode === 18 || asnSize === 4) bw.u32(a.asn);
        else bw.u16(a.asn);
        bw.u32(a.address.w0);
        break;
      case 8:
        for (const c of a.communities) bw.u32(c);
        break;
      case 9:
        bw.u32(a.originatorId.w0);
        break;
      case 10:
        for (const c of a.clusterList) bw.u32(c);
        break;
      case 14: {
        bw.u16(a.afi).u8(a.safi);
        const at = bw.reserve(1);
        for (const nh of a.nextHops) {
          const b = bw.raw(16);
          bw.length = nh.writeTo(b, bw.length);
        }
        bw.patchLength(at, 1);
        bw.u8(0);
        writeNlri(bw, a.nlri);
        break;
      }
      case 15:
        bw.u16(a.afi).u8(a.safi);
        writeNlri(bw, a.withdrawn);
        break;
      case 16:
        for (const c of a.communities) bw.bytes(c);
        break;
      case 32:
        for (const c of a.communities) bw.u32(c.globalAdmin).u32(c.localData1).u32(c.localData2);
        break;
    }
  };
  const extended = (a.flags & AttrFlag.EXTENDED_LENGTH) !== 0;
  const flagsAt = w.length;
  w.u8(a.flags & 0xf0).u8(a.typeCode);
  const at = w.reserve(extended ? 2 : 1);
  body(w);
  const n = w.length - at - (extended ? 2 : 1);
  if (!extended && n > 255) {
    // RFC 4271 §4.3: values over 255 octets need the Extended Length bit; redo with it set.
    w.length = flagsAt;
    encodeAttribute(w, { ...a, flags: a.flags | AttrFlag.EXTENDED_LENGTH } as PathAttribute, ctx);
    return;
  }
  w.patchLength(at, extended ? 2 : 1);
}
