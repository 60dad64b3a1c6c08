import {
  AS_TRANS,
  AttrFlag,
  AttrType,
  type ExtendedCommunity,
  type LargeCommunity,
  Origin,
  type PathAttribute,
  SegmentType,
} from "../../../protocol/bgp/index.ts";
import type { Prefix } from "../../../protocol/ip/index.ts";

/** One route signalbox originates: a Service prefix and the attributes its advertisement asks for. */
export interface Route {
  readonly prefix: Prefix;
  /** RFC 1997 communities as 32-bit values. */
  readonly communities: readonly number[];
  readonly largeCommunities: readonly LargeCommunity[];
  /** RFC 4360; the link-bandwidth community lives here (rack balancing). */
  readonly extendedCommunities: readonly ExtendedCommunity[];
  /** LOCAL_PREF towards iBGP peers; undefined sends the conventional default, 100. */
  readonly localPref: number | undefined;
}

export function route(prefix: Prefix, extra: Partial<Omit<Route, "prefix">> = {}): Route {
  return {
    prefix,
    communities: extra.communities ?? [],
    largeCommunities: extra.largeCommunities ?? [],
    extendedCommunities: extra.extendedCommunities ?? [],
    localPref: extra.localPref,
  };
}

export const DEFAULT_LOCAL_PREF = 100;

/**
 * A key equal for routes that can share one UPDATE: same family and same attributes.
 * Communities are compared as sets (sorted), as MetalLB merges them.
 */
export function attributeKey(r: Route): string {
  const c = [...r.communities].sort((a, b) => a - b).join(",");
  const l = r.largeCommunities
    .map((x) => `${x.globalAdmin}:${x.localData1}:${x.localData2}`)
    .sort()
    .join(",");
  const e = r.extendedCommunities
    .map((x) => Buffer.from(x).toString("hex"))
    .sort()
    .join(",");
  return `${r.prefix.family}|${c}|${l}|${e}|${r.localPref ?? ""}`;
}

export function prefixKey(p: Prefix): string {
  return `${p.family}:${p.w0}:${p.w1}:${p.w2}:${p.w3}/${p.length}`;
}

export function sameRoute(a: Route, b: Route): boolean {
  return a.prefix.equals(b.prefix) && attributeKey(a) === attributeKey(b);
}

/** What the session negotiated that shapes originated attributes. */
export interface OriginationContext {
  readonly localAs: number;
  readonly ibgp: boolean;
  readonly fourOctetAs: boolean;
}

/**
 * Path attributes for an originated route (RFC 4271 §5.1, §9.1.2.2): ORIGIN IGP; AS_PATH
 * empty towards iBGP, our AS towards eBGP (RFC 4271 §5.1.2); towards a 2-octet speaker a
 * 4-octet AS becomes AS_TRANS plus AS4_PATH (RFC 6793 §4.2.2); LOCAL_PREF only towards iBGP
 * (RFC 4271 §5.1.5); communities sorted. NEXT_HOP / MP_REACH_NLRI are added by the packer.
 */
export function originatedAttributes(r: Route, ctx: OriginationContext): PathAttribute[] {
  const attrs: PathAttribute[] = [
    { typeCode: AttrType.ORIGIN, flags: AttrFlag.TRANSITIVE, origin: Origin.IGP },
  ];
  const needsAs4 = !ctx.fourOctetAs && ctx.localAs > 0xffff;
  const pathAs = needsAs4 ? AS_TRANS : ctx.localAs;
  attrs.push({
    typeCode: AttrType.AS_PATH,
    flags: AttrFlag.TRANSITIVE,
    segments: ctx.ibgp ? [] : [{ type: SegmentType.AS_SEQUENCE, asns: [pathAs] }],
  });
  if (ctx.ibgp) {
    attrs.push({
      typeCode: AttrType.LOCAL_PREF,
      flags: AttrFlag.TRANSITIVE,
      localPref: r.localPref ?? DEFAULT_LOCAL_PREF,
    });
  }
  const ot = AttrFlag.OPTIONAL | AttrFlag.TRANSITIVE;
  if (r.communities.length > 0) {
    const sorted = [...new Set(r.communities)].sort((a, b) => a - b);
    attrs.push({ typeCode: AttrType.COMMUNITIES, flags: ot, communities: sorted });
  }
  if (r.extendedCommunities.length > 0) {
    attrs.push({ typeCode: AttrType.EXTENDED_COMMUNITIES, flags: ot, communities: r.extendedCommunities });
  }
  if (needsAs4 && !ctx.ibgp) {
    attrs.push({
      typeCode: AttrType.AS4_PATH,
      flags: ot,
      segments: [{ type: SegmentType.AS_SEQUENCE, asns: [ctx.localAs] }],
    });
  }
  if (r.largeCommunities.length > 0) {
    attrs.push({ typeCode: AttrType.LARGE_COMMUNITY, flags: ot, communities: r.largeCommunities });
  }
  return attrs;
}
