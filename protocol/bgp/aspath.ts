import type { Reader } from "../reader.ts";
import type { Writer } from "./writer.ts";

/** AS_PATH segment types (RFC 4271 §4.3, RFC 5065 §3 for the confederation ones). */
export const SegmentType = { AS_SET: 1, AS_SEQUENCE: 2, AS_CONFED_SEQUENCE: 3, AS_CONFED_SET: 4 } as const;

export interface AsPathSegment {
  readonly type: number;
  readonly asns: readonly number[];
}

/**
 * Decodes AS_PATH or AS4_PATH segments with 2- or 4-octet ASNs. Returns a reason string when
 * malformed, in the terms of RFC 7606 §7.2: unknown segment type, a zero segment length,
 * an overrun, or an underrun (one octet left over).
 */
export function decodeSegments(r: Reader, asnSize: 2 | 4): AsPathSegment[] | string {
  const segments: AsPathSegment[] = [];
  while (r.remaining > 0) {
    if (r.remaining < 2) return "underrun: a single octet after the last segment";
    const type = r.u8()!;
    const count = r.u8()!;
    if (type < SegmentType.AS_SET || type > SegmentType.AS_CONFED_SET) return `unknown segment type ${type}`;
    if (count === 0) return "segment of length zero";
    if (!r.has(count * asnSize)) return `segment of ${count} ASNs overruns the attribute`;
    const asns: number[] = new Array(count);
    for (let i = 0; i < count; i++) asns[i] = asnSize === 4 ? r.u32()! : r.u16()!;
    segments.push({ type, asns });
  }
  return segments;
}

export function encodeSegments(w: Writer, segments: readonly AsPathSegment[], asnSize: 2 | 4): void {
  for (const s of segments) {
    w.u8(s.type).u8(s.asns.length);
    for (const a of s.asns) {
      if (asnSize === 4) w.u32(a);
      else w.u16(a);
    }
  }
}
