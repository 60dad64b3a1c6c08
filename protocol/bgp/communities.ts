/**
 * Community value helpers: RFC 1997 communities (32-bit), RFC 4360 extended communities
 * (8 octets), RFC 8092 large communities (three 32-bit words).
 */

/** RFC 1997 §"Well-known Communities", RFC 8326 §4, RFC 7999 §5. */
export const WellKnownCommunity = {
  NO_EXPORT: 0xffffff01,
  NO_ADVERTISE: 0xffffff02,
  NO_EXPORT_SUBCONFED: 0xffffff03,
  GRACEFUL_SHUTDOWN: 0xffff0000,
  BLACKHOLE: 0xffff029a,
} as const;

export function community(asn: number, value: number): number {
  return ((asn & 0xffff) * 0x10000 + (value & 0xffff)) >>> 0;
}

export function communityText(c: number): string {
  return `${c >>> 16}:${c & 0xffff}`;
}

export interface LargeCommunity {
  readonly globalAdmin: number;
  readonly localData1: number;
  readonly localData2: number;
}

export function largeCommunityText(c: LargeCommunity): string {
  return `${c.globalAdmin}:${c.localData1}:${c.localData2}`;
}

/** An extended community: exactly 8 octets (RFC 4360 §2). */
export type ExtendedCommunity = Uint8Array;

/**
 * Link bandwidth extended community (RFC 10005 §2, formerly draft-ietf-idr-link-bandwidth):
 * type 0x40 (non-transitive two-octet AS specific) or 0x00 (its transitive twin, RFC 4360
 * §3.1), subtype 0x04, 2-octet AS, bandwidth in octets per second as an IEEE 754
 * single-precision float. ToRs weight ECMP next hops by it.
 */
export const LINK_BANDWIDTH = { type: 0x40, subtype: 0x04 } as const;
/** The transitive type: routers pass it on to eBGP peers (FRR strips non-transitive ones). */
export const LINK_BANDWIDTH_TRANSITIVE_TYPE = 0x00;

export function linkBandwidth(asn: number, bytesPerSecond: number, transitive = false): ExtendedCommunity {
  const b = new Uint8Array(8);
  const v = new DataView(b.buffer);
  b[0] = transitive ? LINK_BANDWIDTH_TRANSITIVE_TYPE : LINK_BANDWIDTH.type;
  b[1] = LINK_BANDWIDTH.subtype;
  // RFC 6793 §4.2: AS_TRANS for a 4-octet AS in a 2-octet field.
  v.setUint16(2, asn > 0xffff ? 23456 : asn);
  v.setFloat32(4, bytesPerSecond);
  return b;
}

/** The link bandwidth of an extended community, or undefined if it is another kind. */
export function parseLinkBandwidth(
  c: ExtendedCommunity,
): { asn: number; bytesPerSecond: number } | undefined {
  // The transitive variant (0x00) is seen in the wild too.
  if (c.length !== 8 || (c[0] !== 0x40 && c[0] !== 0x00) || c[1] !== LINK_BANDWIDTH.subtype) return undefined;
  const v = new DataView(c.buffer, c.byteOffset, 8);
  return { asn: v.getUint16(2), bytesPerSecond: v.getFloat32(4) };
}

/** Route target, two-octet AS specific (RFC 4360 §4, §3.1): type 0x00, subtype 0x02. */
export function routeTarget(asn: number, value: number): ExtendedCommunity {
  const b = new Uint8Array(8);
  const v = new DataView(b.buffer);
  b[1] = 0x02;
  v.setUint16(2, asn);
  v.setUint32(4, value);
  return b;
}
