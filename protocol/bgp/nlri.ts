import { type Family, Prefix } from "../ip/index.ts";
import type { Writer } from "./writer.ts";

/**
 * NLRI encoding (RFC 4271 §4.3, RFC 4760 §5): a length in bits, then the fewest octets that
 * hold it. Trailing bits are irrelevant on receive (Prefix clears them).
 *
 * Decodes prefixes from b[start, end) into `out`. Returns false on a syntax error (a length
 * beyond the family's maximum, or a prefix that overruns `end`): RFC 7606 §5.3 makes that a
 * session reset with Invalid Network Field (RFC 4271 §6.3).
 */
export function decodePrefixes(
  b: Uint8Array,
  start: number,
  end: number,
  family: Family,
  out: Prefix[],
): boolean {
  const max = family === 4 ? 32 : 128;
  let o = start;
  while (o < end) {
    const len = b[o]!;
    const n = (len + 7) >>> 3;
    if (len > max || o + 1 + n > end) return false;
    o++;
    if (family === 4) {
      // Fast path: host routes are what signalbox sends and receives most.
      if (n === 4) {
        out.push(
          new Prefix(4, len, ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0),
        );
      } else {
        let w = 0;
        for (let i = 0; i < n; i++) w |= b[o + i]! << (24 - 8 * i);
        out.push(new Prefix(4, len, w >>> 0));
      }
    } else {
      let w0 = 0;
      let w1 = 0;
      let w2 = 0;
      let w3 = 0;
      for (let i = 0; i < n; i++) {
        const v = b[o + i]! << (24 - 8 * (i & 3));
        if (i < 4) w0 |= v;
        else if (i < 8) w1 |= v;
        else if (i < 12) w2 |= v;
        else w3 |= v;
      }
      out.push(new Prefix(6, len, w0, w1, w2, w3));
    }
    o += n;
  }
  return true;
}

/** Octets one prefix takes in NLRI. */
export function prefixWireLength(p: Prefix): number {
  return 1 + ((p.length + 7) >>> 3);
}

/** Writes one prefix at `o`; returns the offset after it. The buffer must have room. */
export function writePrefix(b: Uint8Array, o: number, p: Prefix): number {
  const n = (p.length + 7) >>> 3;
  b[o++] = p.length;
  for (let i = 0; i < n; i++) {
    const w = i < 4 ? p.w0 : i < 8 ? p.w1 : i < 12 ? p.w2 : p.w3;
    b[o++] = (w >>> (24 - 8 * (i & 3))) & 0xff;
  }
  return o;
}

/** Appends prefixes in NLRI encoding to a Writer. */
export function writeNlri(w: Writer, prefixes: readonly Prefix[]): void {
  let need = 0;
  for (const p of prefixes) need += prefixWireLength(p);
  const b = w.raw(need);
  let o = w.length;
  for (const p of prefixes) o = writePrefix(b, o, p);
  w.length = o;
}
