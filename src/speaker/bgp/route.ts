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

/**
 * The attributes an advertisement asks for. Routes of one advertisement share one object, and
 * `key` — equal for equal attributes — is computed once, so grouping 100 000 routes into
 * UPDATEs costs a map lookup per route.
 */
export interface RouteAttributes {
  /** RFC 1997 communities as 32-bit values, sorted, without duplicates. */
  readonly communities: readonly number[];
  readonly largeCommunities: readonly LargeCommunity[];
  /** RFC 4360; the link-bandwidth community lives here (rack balancing). */
  readonly extendedCommunities: readonly ExtendedCommunity[];
  /** LOCAL_PREF towards iBGP peers; undefined sends the conventional default, 100. */
  readonly localPref: number | undefined;
  readonly key: string;
}

/** One route signalbox originates: a Service prefix and its advertisement's attributes. */
export interface Route {
  readonly prefix: Prefix;
  readonly attributes: RouteAttributes;
}

export function routeAttributes(a: Partial<Omit<RouteAttributes, "key">> = {}): RouteAttributes {
  const communities = [...new Set(a.communities ?? [])].sort((x, y) => x - y);
  const largeCommunities = a.largeCommunities ?? [];
  const extendedCommunities = a.extendedCommunities ?? [];
  const l = largeCommunities.map((x) => `${x.globalAdmin}:${x.localData1}:${x.localData2}`).sort();
  const e = extendedCommunities.map((x) => Buffer.from(x).toString("hex")).sort();
  const key = `${communities.join(",")}|${l.join(",")}|${e.join(",")}|${a.localPref ?? ""}`;
  return { communities, largeCommunities, extendedCommunities, localPref: a.localPref, key };
}

export const NO_ATTRIBUTES: RouteAttributes = routeAttributes();

export function route(prefix: Prefix, attributes: RouteAttributes = NO_ATTRIBUTES): Route {
  return { prefix, attributes };
}

export const DEFAULT_LOCAL_PREF = 100;

/**
 * A map key for a prefix. IPv4 host routes — nearly every route signalbox holds — key by a
 * 32-bit integer, which V8 hashes without allocating; everything else by a string.
 */
export function prefixKey(p: Prefix): number | string {
  if (p.family === 4 && p.length === 32) return p.w0 | 0;
  return `${p.family}:${p.w0},${p.w1},${p.w2},${p.w3}/${p.length}`;
}

export function sameRoute(a: Route, b: Route): boolean {
  return (
    a.prefix.equals(b.prefix) && (a.attributes === b.attributes || a.attributes.key === b.attributes.key)
  );
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
export function originatedAttributes(a: RouteAttributes, ctx: OriginationContext): PathAttribute[] {
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
      localPref: a.localPref ?? DEFAULT_LOCAL_PREF,
    });
  }
  const ot = AttrFlag.OPTIONAL | AttrFlag.TRANSITIVE;
  if (a.communities.length > 0)
    attrs.push({ typeCode: AttrType.COMMUNITIES, flags: ot, communities: a.communities });
  if (a.extendedCommunities.length > 0) {
    attrs.push({ typeCode: AttrType.EXTENDED_COMMUNITIES, flags: ot, communities: a.extendedCommunities });
  }
  if (needsAs4 && !ctx.ibgp) {
    attrs.push({
      typeCode: AttrType.AS4_PATH,
      flags: ot,
      segments: [{ type: SegmentType.AS_SEQUENCE, asns: [ctx.localAs] }],
    });
  }
  if (a.largeCommunities.length > 0) {
    attrs.push({ typeCode: AttrType.LARGE_COMMUNITY, flags: ot, communities: a.largeCommunities });
  }
  return attrs;
}
