import { Address4, Address6 } from "ip-address";

/** Address family, named by IP version (AFI 1 = 4, AFI 2 = 6). */
export type Family = 4 | 6;

/**
 * An IP address: family plus the address bits, held as big-endian 32-bit words
 * (one word for IPv4, four for IPv6; unused words are 0).
 *
 * Words rather than a Uint8Array per address: decoding UPDATEs allocates one of these per
 * prefix, and a typed array per value caps decoding near 1-2 M prefixes/s (see bench/codec.ts).
 */
export class IpAddress {
  readonly family: Family;
  readonly w0: number;
  readonly w1: number;
  readonly w2: number;
  readonly w3: number;

  constructor(family: Family, w0: number, w1 = 0, w2 = 0, w3 = 0) {
    this.family = family;
    this.w0 = w0 >>> 0;
    this.w1 = family === 4 ? 0 : w1 >>> 0;
    this.w2 = family === 4 ? 0 : w2 >>> 0;
    this.w3 = family === 4 ? 0 : w3 >>> 0;
  }

  /** Parses canonical or non-canonical text (no prefix length, no zone). Undefined if invalid. */
  static parse(text: string): IpAddress | undefined {
    if (text.includes("/") || text.includes("%")) return undefined;
    if (text.includes(":")) {
      if (!Address6.isValid(text)) return undefined;
      return IpAddress.fromBigInt(6, new Address6(text).bigInt());
    }
    if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(text) || !Address4.isValid(text)) return undefined;
    const parts = text.split(".").map(Number);
    if (parts.some((p) => p > 255)) return undefined;
    return new IpAddress(4, ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0);
  }

  /** Like parse, for trusted literals (tests, constants): throws on invalid text. */
  static of(text: string): IpAddress {
    const a = IpAddress.parse(text);
    if (a === undefined) throw new TypeError(`not an IP address: ${text}`);
    return a;
  }

  static fromBytes(family: Family, b: Uint8Array, offset = 0): IpAddress {
    const word = (i: number) =>
      ((b[offset + i]! << 24) |
        (b[offset + i + 1]! << 16) |
        (b[offset + i + 2]! << 8) |
        b[offset + i + 3]!) >>>
      0;
    return family === 4 ? new IpAddress(4, word(0)) : new IpAddress(6, word(0), word(4), word(8), word(12));
  }

  get byteLength(): 4 | 16 {
    return this.family === 4 ? 4 : 16;
  }

  word(i: number): number {
    return i === 0 ? this.w0 : i === 1 ? this.w1 : i === 2 ? this.w2 : this.w3;
  }

  toBytes(): Uint8Array {
    const out = new Uint8Array(this.byteLength);
    this.writeTo(out, 0);
    return out;
  }

  /** Writes the address bytes at offset; returns the offset after them. */
  writeTo(out: Uint8Array, offset: number): number {
    const words = this.family === 4 ? 1 : 4;
    for (let i = 0; i < words; i++) {
      const w = this.word(i);
      out[offset++] = w >>> 24;
      out[offset++] = (w >>> 16) & 0xff;
      out[offset++] = (w >>> 8) & 0xff;
      out[offset++] = w & 0xff;
    }
    return offset;
  }

  equals(o: IpAddress): boolean {
    return (
      this.family === o.family && this.w0 === o.w0 && this.w1 === o.w1 && this.w2 === o.w2 && this.w3 === o.w3
    );
  }

  /** Total order: IPv4 before IPv6, then numerically. */
  compare(o: IpAddress): number {
    return this.family - o.family || this.w0 - o.w0 || this.w1 - o.w1 || this.w2 - o.w2 || this.w3 - o.w3;
  }

  /** As an unsigned integer (for range arithmetic in the allocator). */
  toBigInt(): bigint {
    if (this.family === 4) return BigInt(this.w0);
    return (BigInt(this.w0) << 96n) | (BigInt(this.w1) << 64n) | (BigInt(this.w2) << 32n) | BigInt(this.w3);
  }

  static fromBigInt(family: Family, n: bigint): IpAddress {
    if (family === 4) return new IpAddress(4, Number(n & 0xffffffffn));
    const w = (s: bigint) => Number((n >> s) & 0xffffffffn);
    return new IpAddress(6, w(96n), w(64n), w(32n), w(0n));
  }

  /** Canonical text: dotted quad, or RFC 5952 §4 for IPv6 (lower case, longest zero run as ::). */
  toString(): string {
    if (this.family === 4) {
      const w = this.w0;
      return `${w >>> 24}.${(w >>> 16) & 0xff}.${(w >>> 8) & 0xff}.${w & 0xff}`;
    }
    // RFC 5952 §5: IPv4-mapped addresses keep the dotted quad.
    if (this.w0 === 0 && this.w1 === 0 && this.w2 === 0xffff) {
      return `::ffff:${new IpAddress(4, this.w3).toString()}`;
    }
    const g: number[] = [];
    for (let i = 0; i < 4; i++) {
      const w = this.word(i);
      g.push(w >>> 16, w & 0xffff);
    }
    // RFC 5952 §4.2: compress the longest run of two or more zero groups, the first on a tie.
    let best = -1;
    let bestLen = 1;
    for (let i = 0; i < 8; ) {
      if (g[i] !== 0) {
        i++;
        continue;
      }
      let j = i;
      while (j < 8 && g[j] === 0) j++;
      if (j - i > bestLen) {
        best = i;
        bestLen = j - i;
      }
      i = j;
    }
    const hex = (from: number, to: number) =>
      g
        .slice(from, to)
        .map((x) => x.toString(16))
        .join(":");
    if (best < 0) return hex(0, 8);
    return `${hex(0, best)}::${hex(best + bestLen, 8)}`;
  }
}
