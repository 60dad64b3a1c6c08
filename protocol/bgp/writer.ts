/** A growable byte buffer for encoders; `reserveU16` leaves room for a length filled in later. */
export class Writer {
  private buf: Uint8Array;
  length = 0;

  constructor(capacity = 64) {
    this.buf = new Uint8Array(capacity);
  }

  private ensure(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.length + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }

  u8(v: number): this {
    this.ensure(1);
    this.buf[this.length++] = v;
    return this;
  }

  u16(v: number): this {
    this.ensure(2);
    this.buf[this.length++] = v >>> 8;
    this.buf[this.length++] = v & 0xff;
    return this;
  }

  u32(v: number): this {
    this.ensure(4);
    const b = this.buf;
    b[this.length++] = v >>> 24;
    b[this.length++] = (v >>> 16) & 0xff;
    b[this.length++] = (v >>> 8) & 0xff;
    b[this.length++] = v & 0xff;
    return this;
  }

  bytes(v: Uint8Array): this {
    this.ensure(v.length);
    this.buf.set(v, this.length);
    this.length += v.length;
    return this;
  }

  /** Reserves `size` (1 or 2) octets for a length; returns its position for `patchLength`. */
  reserve(size: 1 | 2): number {
    this.ensure(size);
    const at = this.length;
    this.length += size;
    return at;
  }

  /** Writes the number of octets written since `at + size` into the reserved field. */
  patchLength(at: number, size: 1 | 2): number {
    const n = this.length - at - size;
    if (size === 1) this.buf[at] = n;
    else {
      this.buf[at] = n >>> 8;
      this.buf[at + 1] = n & 0xff;
    }
    return n;
  }

  patchU16(at: number, v: number): void {
    this.buf[at] = v >>> 8;
    this.buf[at + 1] = v & 0xff;
  }

  /** Direct access for hot loops (NLRI packing); valid until the next write. */
  raw(reserveBytes: number): Uint8Array {
    this.ensure(reserveBytes);
    return this.buf;
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}
