import { IpAddress } from "../ip/index.ts";

/**
 * A 48-bit IEEE 802 MAC address, held as two numbers (the top 16 bits and the low 32 bits)
 * so that equality and hashing need no byte array. Immutable; one canonical text form,
 * lower-case `aa:bb:cc:dd:ee:ff`.
 */
export class MacAddress {
  /** Octets 0-1. */
  readonly hi: number;
  /** Octets 2-5. */
  readonly lo: number;

  constructor(hi: number, lo: number) {
    this.hi = hi & 0xffff;
    this.lo = lo >>> 0;
  }

  /** Parses `aa:bb:cc:dd:ee:ff` or `aa-bb-cc-dd-ee-ff` (either case). Undefined if invalid. */
  static parse(text: string): MacAddress | undefined {
    const m =
      /^([0-9a-f]{2})([:-])([0-9a-f]{2})\2([0-9a-f]{2})\2([0-9a-f]{2})\2([0-9a-f]{2})\2([0-9a-f]{2})$/i.exec(
        text,
      );
    if (m === null) return undefined;
    const o = [m[1], m[3], m[4], m[5], m[6], m[7]].map((h) => Number.parseInt(h!, 16));
    return MacAddress.fromBytes(Uint8Array.from(o));
  }

  /** Like parse, for trusted literals (tests, constants): throws on invalid text. */
  static of(text: string): MacAddress {
    const m = MacAddress.parse(text);
    if (m === undefined) throw new TypeError(`not a MAC address: ${text}`);
    return m;
  }

  /** The six octets at offset; the caller has checked that they exist. */
  static fromBytes(b: Uint8Array, offset = 0): MacAddress {
    return new MacAddress(
      (b[offset]! << 8) | b[offset + 1]!,
      (b[offset + 2]! << 24) | (b[offset + 3]! << 16) | (b[offset + 4]! << 8) | b[offset + 5]!,
    );
  }

  toBytes(): Uint8Array {
    const out = new Uint8Array(6);
    this.writeTo(out, 0);
    return out;
  }

  /** Writes the six octets at offset; returns the offset after them. */
  writeTo(out: Uint8Array, offset: number): number {
    out[offset] = this.hi >>> 8;
    out[offset + 1] = this.hi & 0xff;
    out[offset + 2] = this.lo >>> 24;
    out[offset + 3] = (this.lo >>> 16) & 0xff;
    out[offset + 4] = (this.lo >>> 8) & 0xff;
    out[offset + 5] = this.lo & 0xff;
    return offset + 6;
  }

  equals(o: MacAddress): boolean {
    return this.hi === o.hi && this.lo === o.lo;
  }

  /** IEEE 802 §8.2: the I/G bit (least significant bit of the first octet) marks group addresses. */
  get isMulticast(): boolean {
    return (this.hi & 0x0100) !== 0;
  }

  get isBroadcast(): boolean {
    return this.hi === 0xffff && this.lo === 0xffffffff;
  }

  get isZero(): boolean {
    return this.hi === 0 && this.lo === 0;
  }

  toString(): string {
    const b = this.toBytes();
    return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join(":");
  }

  static readonly BROADCAST: MacAddress = new MacAddress(0xffff, 0xffffffff);
  static readonly ZERO: MacAddress = new MacAddress(0, 0);
}

/**
 * RFC 2464 §7: an IPv6 multicast address maps to the Ethernet address 33:33 followed by
 * its last four octets.
 */
export function ipv6MulticastMac(group: IpAddress): MacAddress {
  return new MacAddress(0x3333, group.w3);
}

/**
 * RFC 4291 §2.7.1: the solicited-node multicast address of a unicast or anycast address,
 * ff02::1:ff00:0/104 with the address's low 24 bits.
 */
export function solicitedNodeAddress(address: IpAddress): IpAddress {
  return new IpAddress(6, 0xff020000, 0, 1, 0xff000000 | (address.w3 & 0xffffff));
}
