import { type Family, IpAddress } from "../../protocol/ip/index.ts";
import { rangeSize } from "./cidr.ts";
import { IntervalSet, type Step } from "./interval-set.ts";
import type { IpamPool } from "./types.ts";

/**
 * The addresses of one family that one pool may hand out, and which of them are held.
 *
 * The pool's ranges of this family are sorted and merged into disjoint segments, so listing
 * order and overlaps inside a pool cannot cause a double allocation. Addresses are bigints
 * (IPv4 fits a number, a /64 does not); nothing here is proportional to the pool's size.
 */
export class PoolSpace implements Step {
  readonly pool: IpamPool;
  readonly family: Family;
  /** Position of the pool in the configuration (allocation order). */
  readonly order: number;
  readonly used: IntervalSet;
  readonly #firsts: bigint[] = [];
  readonly #lasts: bigint[] = [];
  readonly #avoidBuggy: boolean;
  readonly #lowest: bigint | undefined;

  constructor(pool: IpamPool, family: Family, order: number) {
    this.pool = pool;
    this.family = family;
    this.order = order;
    this.#avoidBuggy = pool.avoidBuggyIps && family === 4;
    const segments = pool.ranges
      .filter((r) => r.first.family === family && r.last.family === family && r.first.compare(r.last) <= 0)
      .map((r) => ({ first: r.first.toBigInt(), last: r.last.toBigInt() }))
      .sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : 0));
    for (const s of segments) {
      const n = this.#lasts.length;
      if (n > 0 && s.first <= this.#lasts[n - 1]! + 1n) {
        if (s.last > this.#lasts[n - 1]!) this.#lasts[n - 1] = s.last;
      } else {
        this.#firsts.push(s.first);
        this.#lasts.push(s.last);
      }
    }
    this.used = new IntervalSet(this);
    this.#lowest = this.#up(0n);
  }

  /** True when the pool has at least one range of this family. */
  get hasRanges(): boolean {
    return this.#firsts.length > 0;
  }

  /** Index of the last segment starting at or before x; -1 if none. */
  #segment(x: bigint): number {
    const firsts = this.#firsts;
    let lo = 0;
    let hi = firsts.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (firsts[mid]! <= x) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  /** True when x lies in a segment (whatever avoidBuggyIps says). */
  inRanges(x: bigint): boolean {
    const i = this.#segment(x);
    return i >= 0 && x <= this.#lasts[i]!;
  }

  /** True when the pool may hand out x. */
  contains(x: bigint): boolean {
    return this.inRanges(x) && !(this.#avoidBuggy && isBuggy(x));
  }

  /** The lowest usable address ≥ c. */
  #up(c: bigint): bigint | undefined {
    for (;;) {
      const i = this.#segment(c);
      if (i < 0) {
        if (this.#firsts.length === 0) return undefined;
        c = this.#firsts[0]!;
      } else if (c > this.#lasts[i]!) {
        if (i + 1 >= this.#firsts.length) return undefined;
        c = this.#firsts[i + 1]!;
      }
      if (!this.#avoidBuggy) return c;
      const octet = Number(c & 255n);
      if (octet !== 0 && octet !== 255) return c;
      c += octet === 255 ? 2n : 1n;
    }
  }

  /** The highest usable address ≤ c. */
  #down(c: bigint): bigint | undefined {
    for (;;) {
      const i = this.#segment(c);
      if (i < 0) return undefined;
      if (c > this.#lasts[i]!) c = this.#lasts[i]!;
      if (!this.#avoidBuggy) return c;
      const octet = Number(c & 255n);
      if (octet !== 0 && octet !== 255) return c;
      c -= octet === 0 ? 2n : 1n;
    }
  }

  next(x: bigint): bigint | undefined {
    return this.#up(x + 1n);
  }

  prev(x: bigint): bigint | undefined {
    return x === 0n ? undefined : this.#down(x - 1n);
  }

  /** The lowest usable address nobody holds; undefined when the pool is exhausted. */
  lowestFree(): bigint | undefined {
    const run = this.used.first();
    if (run === undefined || run.start !== this.#lowest) return this.#lowest;
    return this.next(run.end);
  }

  /** Usable addresses in this family (exact, computed per segment). */
  capacity(): bigint {
    let n = 0n;
    for (let i = 0; i < this.#firsts.length; i++) {
      n += rangeSize(
        {
          first: IpAddress.fromBigInt(this.family, this.#firsts[i]!),
          last: IpAddress.fromBigInt(this.family, this.#lasts[i]!),
        },
        this.#avoidBuggy,
      );
    }
    return n;
  }
}

function isBuggy(x: bigint): boolean {
  const octet = Number(x & 255n);
  return octet === 0 || octet === 255;
}
