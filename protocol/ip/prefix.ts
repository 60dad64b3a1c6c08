import { type Family, IpAddress } from "./address.ts";

/** Mask for the bits of a 32-bit word covered by `bits` (0..32) leading bits. */
function wordMask(bits: number): number {
  if (bits <= 0) return 0;
  if (bits >= 32) return 0xffffffff;
  return (0xffffffff << (32 - bits)) >>> 0;
}

/**
 * An IP prefix, normalised on construction: host bits are zero, so equal prefixes have
 * equal fields and one text form. Fields mirror IpAddress (family + big-endian words).
 */
export class Prefix {
  readonly family: Family;
  readonly length: number;
  readonly w0: number;
  readonly w1: number;
  readonly w2: number;
  readonly w3: number;

  /** Words beyond the family's width are ignored; host bits are cleared. Length is trusted (use `of`). */
  constructor(family: Family, length: number, w0: number, w1 = 0, w2 = 0, w3 = 0) {
    this.family = family;
    this.length = length;
    this.w0 = (w0 & wordMask(length)) >>> 0;
    if (family === 4) {
      this.w1 = 0;
      this.w2 = 0;
      this.w3 = 0;
    } else {
      this.w1 = (w1 & wordMask(length - 32)) >>> 0;
      this.w2 = (w2 & wordMask(length - 64)) >>> 0;
      this.w3 = (w3 & wordMask(length - 96)) >>> 0;
    }
  }

  static maxLength(family: Family): 32 | 128 {
    return family === 4 ? 32 : 128;
  }

  /** The prefix of `length` bits containing `address`; undefined if the length is out of range. */
  static of(address: IpAddress, length: number): Prefix | undefined {
    if (!Number.isInteger(length) || length < 0 || length > Prefix.maxLength(address.family))
      return undefined;
    return new Prefix(address.family, length, address.w0, address.w1, address.w2, address.w3);
  }

  /** A host route: /32 or /128. */
  static host(address: IpAddress): Prefix {
    return new Prefix(
      address.family,
      Prefix.maxLength(address.family),
      address.w0,
      address.w1,
      address.w2,
      address.w3,
    );
  }

  /** Parses `addr/len`. A prefix with host bits set is rejected unless `allowHostBits`. */
  static parse(text: string, allowHostBits = false): Prefix | undefined {
    const slash = text.indexOf("/");
    if (slash < 0) return undefined;
    const address = IpAddress.parse(text.slice(0, slash));
    const lenText = text.slice(slash + 1);
    if (address === undefined || !/^\d{1,3}$/.test(lenText)) return undefined;
    const p = Prefix.of(address, Number(lenText));
    if (p === undefined || (!allowHostBits && !p.address.equals(address))) return undefined;
    return p;
  }

  /** Like parse, for trusted literals: throws on invalid text. */
  static from(text: string): Prefix {
    const p = Prefix.parse(text);
    if (p === undefined) throw new TypeError(`not a prefix: ${text}`);
    return p;
  }

  get address(): IpAddress {
    return new IpAddress(this.family, this.w0, this.w1, this.w2, this.w3);
  }

  contains(a: IpAddress): boolean {
    if (a.family !== this.family) return false;
    const p = Prefix.of(a, this.length)!;
    return p.w0 === this.w0 && p.w1 === this.w1 && p.w2 === this.w2 && p.w3 === this.w3;
  }

  equals(o: Prefix): boolean {
    return (
      this.family === o.family &&
      this.length === o.length &&
      this.w0 === o.w0 &&
      this.w1 === o.w1 &&
      this.w2 === o.w2 &&
      this.w3 === o.w3
    );
  }

  compare(o: Prefix): number {
    return (
      this.family - o.family ||
      this.w0 - o.w0 ||
      this.w1 - o.w1 ||
      this.w2 - o.w2 ||
      this.w3 - o.w3 ||
      this.length - o.length
    );
  }

  toString(): string {
    return `${this.address.toString()}/${this.length}`;
  }
}
