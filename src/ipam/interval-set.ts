/**
 * A set of addresses (as bigint) held as maximal runs of consecutive *usable* addresses, in a
 * chunked sorted array (a flat B-tree: binary search over chunks, then inside one).
 *
 * "Consecutive" is defined by the owner's `next`/`prev` (a pool space skips range gaps and,
 * with avoidBuggyIps, .0/.255), so the lowest free address of a pool is always the first
 * usable one or the one right after the first run: O(1) after an O(log n) lookup. Memory is
 * one small object per run, never per address of the pool.
 */
export interface Interval {
  start: bigint;
  end: bigint;
}

export interface Step {
  /** The usable address after x, or undefined. */
  next(x: bigint): bigint | undefined;
  /** The usable address before x, or undefined. */
  prev(x: bigint): bigint | undefined;
}

/** Chunks split above this many runs; splicing ~100 small objects costs less than a tree walk. */
const MAX_CHUNK = 128;

interface Position {
  ci: number;
  i: number;
}

export class IntervalSet {
  readonly #step: Step;
  #chunks: Interval[][] = [];
  #size = 0;

  constructor(step: Step) {
    this.#step = step;
  }

  /** Number of addresses in the set. */
  get size(): number {
    return this.#size;
  }

  /** Number of runs (the memory this set uses). */
  get runs(): number {
    let n = 0;
    for (const c of this.#chunks) n += c.length;
    return n;
  }

  /** The lowest run, if any. */
  first(): Interval | undefined {
    return this.#chunks[0]?.[0];
  }

  *intervals(): Generator<Interval> {
    for (const c of this.#chunks) yield* c;
  }

  /** Position of the run with the greatest start ≤ x, or undefined if none. */
  #floor(x: bigint): Position | undefined {
    const chunks = this.#chunks;
    let lo = 0;
    let hi = chunks.length - 1;
    let ci = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (chunks[mid]![0]!.start <= x) {
        ci = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (ci < 0) return undefined;
    const chunk = chunks[ci]!;
    lo = 0;
    hi = chunk.length - 1;
    let i = 0;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (chunk[mid]!.start <= x) {
        i = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return { ci, i };
  }

  #at(p: Position): Interval | undefined {
    return this.#chunks[p.ci]?.[p.i];
  }

  #after(p: Position | undefined): Position {
    if (p === undefined) return { ci: 0, i: 0 };
    const chunk = this.#chunks[p.ci]!;
    return p.i + 1 < chunk.length ? { ci: p.ci, i: p.i + 1 } : { ci: p.ci + 1, i: 0 };
  }

  /** Inserts a run right after position p (before everything when p is undefined). */
  #insertAfter(p: Position | undefined, run: Interval): void {
    const chunks = this.#chunks;
    if (chunks.length === 0) {
      chunks.push([run]);
      return;
    }
    const ci = p === undefined ? 0 : p.ci;
    const i = p === undefined ? 0 : p.i + 1;
    const chunk = chunks[ci]!;
    chunk.splice(i, 0, run);
    if (chunk.length > MAX_CHUNK) chunks.splice(ci + 1, 0, chunk.splice(MAX_CHUNK >> 1));
  }

  #remove(p: Position): void {
    const chunk = this.#chunks[p.ci]!;
    chunk.splice(p.i, 1);
    if (chunk.length === 0) this.#chunks.splice(p.ci, 1);
  }

  has(x: bigint): boolean {
    const p = this.#floor(x);
    return p !== undefined && x <= this.#at(p)!.end;
  }

  /** Adds a usable address; false if it was present. */
  add(x: bigint): boolean {
    const p = this.#floor(x);
    const left = p === undefined ? undefined : this.#at(p);
    if (left !== undefined && x <= left.end) return false;
    const q = this.#after(p);
    const right = this.#at(q);
    const prev = left === undefined ? undefined : this.#step.prev(x);
    const next = right === undefined ? undefined : this.#step.next(x);
    const joinLeft = left !== undefined && prev === left.end;
    const joinRight = right !== undefined && next === right.start;
    if (joinLeft && joinRight) {
      left.end = right.end;
      this.#remove(q);
    } else if (joinLeft) left.end = x;
    else if (joinRight) right.start = x;
    else this.#insertAfter(p, { start: x, end: x });
    this.#size++;
    return true;
  }

  /** Removes an address; false if it was absent. */
  delete(x: bigint): boolean {
    const p = this.#floor(x);
    const run = p === undefined ? undefined : this.#at(p);
    if (p === undefined || run === undefined || x > run.end) return false;
    if (run.start === x && run.end === x) this.#remove(p);
    else if (run.start === x) run.start = this.#step.next(x)!;
    else if (run.end === x) run.end = this.#step.prev(x)!;
    else {
      const tail = { start: this.#step.next(x)!, end: run.end };
      run.end = this.#step.prev(x)!;
      this.#insertAfter(p, tail);
    }
    this.#size--;
    return true;
  }
}
