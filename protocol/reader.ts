/**
 * The one bounds-checked reader every decoder goes through (DESIGN.md: decoders never throw
 * and never allocate from an unchecked length). Reads past `end` return undefined; callers
 * turn that into the NOTIFICATION their section of the RFC names.
 */
export class Reader {
  readonly bytes: Uint8Array;
  offset: number;
  readonly end: number;

  constructor(bytes: Uint8Array, offset = 0, end = bytes.length) {
    this.bytes = bytes;
    this.offset = offset;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.offset;
  }

  has(n: number): boolean {
    return n >= 0 && this.offset + n <= this.end;
  }

  u8(): number | undefined {
    if (this.offset + 1 > this.end) return undefined;
    return this.bytes[this.offset++]!;
  }

  u16(): number | undefined {
    if (this.offset + 2 > this.end) return undefined;
    const b = this.bytes;
    const o = this.offset;
    this.offset = o + 2;
    return (b[o]! << 8) | b[o + 1]!;
  }

  u32(): number | undefined {
    if (this.offset + 4 > this.end) return undefined;
    const b = this.bytes;
    const o = this.offset;
    this.offset = o + 4;
    return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
  }

  /** A view (no copy) of the next n bytes. */
  view(n: number): Uint8Array | undefined {
    if (n < 0 || this.offset + n > this.end) return undefined;
    const v = this.bytes.subarray(this.offset, this.offset + n);
    this.offset += n;
    return v;
  }

  /** A copy of the next n bytes, for values kept beyond the message's lifetime. */
  copy(n: number): Uint8Array | undefined {
    const v = this.view(n);
    return v === undefined ? undefined : v.slice();
  }

  /** A reader over the next n bytes, advancing this one past them. */
  sub(n: number): Reader | undefined {
    if (n < 0 || this.offset + n > this.end) return undefined;
    const r = new Reader(this.bytes, this.offset, this.offset + n);
    this.offset += n;
    return r;
  }

  rest(): Uint8Array {
    const v = this.bytes.subarray(this.offset, this.end);
    this.offset = this.end;
    return v;
  }
}
