import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { IpAddress } from "../../../protocol/ip/index.ts";
import { IntervalSet } from "../../../src/ipam/interval-set.ts";
import { PoolSpace } from "../../../src/ipam/pool-space.ts";
import { ip, pool } from "./helpers.ts";

const n = (text: string) => ip(text).toBigInt();
const s4 = (x: bigint | undefined) => (x === undefined ? undefined : IpAddress.fromBigInt(4, x).toString());

describe("IntervalSet", () => {
  const step = { next: (x: bigint) => x + 1n, prev: (x: bigint) => (x === 0n ? undefined : x - 1n) };
  it("merges neighbours into runs and splits them on delete", () => {
    const set = new IntervalSet(step);
    for (const x of [1n, 3n, 2n, 10n]) assert.equal(set.add(x), true);
    assert.equal(set.add(2n), false);
    assert.deepEqual(
      [...set.intervals()],
      [
        { start: 1n, end: 3n },
        { start: 10n, end: 10n },
      ],
    );
    assert.equal(set.delete(2n), true);
    assert.equal(set.delete(2n), false);
    assert.deepEqual(
      [...set.intervals()],
      [
        { start: 1n, end: 1n },
        { start: 3n, end: 3n },
        { start: 10n, end: 10n },
      ],
    );
    assert.equal(set.size, 3);
  });
  it("agrees with a plain Set under random adds and deletes (many chunks)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 3000 })), { maxLength: 3000, size: "max" }),
        (ops) => {
          const set = new IntervalSet(step);
          const ref = new Set<number>();
          for (const [add, v] of ops) {
            if (add) {
              assert.equal(set.add(BigInt(v)), !ref.has(v));
              ref.add(v);
            } else assert.equal(set.delete(BigInt(v)), ref.delete(v));
          }
          const sorted = [...ref].sort((a, b) => a - b);
          const flat: number[] = [];
          let prevEnd = -2n;
          for (const r of set.intervals()) {
            assert.ok(r.start > prevEnd + 1n, "runs are maximal and sorted");
            for (let x = r.start; x <= r.end; x++) flat.push(Number(x));
            prevEnd = r.end;
          }
          assert.deepEqual(flat, sorted);
          assert.equal(set.size, ref.size);
          for (let v = 0; v < 50; v++) assert.equal(set.has(BigInt(v)), ref.has(v));
        },
      ),
      { seed: 11, numRuns: 20 },
    );
  });
});

describe("PoolSpace", () => {
  it("walks ranges in address order whatever the listing order, merging overlaps", () => {
    const s = new PoolSpace(pool("p", ["10.0.2.0-10.0.2.1", "10.0.0.5-10.0.0.6", "10.0.0.6-10.0.0.7"]), 4, 0);
    const walk: (string | undefined)[] = [];
    let x = s.lowestFree();
    while (x !== undefined) {
      walk.push(s4(x));
      s.used.add(x);
      x = s.lowestFree();
    }
    assert.deepEqual(walk, ["10.0.0.5", "10.0.0.6", "10.0.0.7", "10.0.2.0", "10.0.2.1"]);
    assert.equal(s.used.runs, 1, "consecutive usable addresses form one run across the gap");
    assert.equal(s.capacity(), 5n);
  });
  it("skips .0 and .255 with avoidBuggyIps, also at range edges", () => {
    const s = new PoolSpace(
      pool("p", ["10.0.0.254-10.0.1.1", "10.0.1.255-10.0.2.0", "10.0.3.255-10.0.4.2"], {
        avoidBuggyIps: true,
      }),
      4,
      0,
    );
    assert.equal(s4(s.next(n("10.0.0.254"))), "10.0.1.1");
    assert.equal(s4(s.next(n("10.0.1.1"))), "10.0.4.1", "a range made only of buggy addresses is skipped");
    assert.equal(s4(s.prev(n("10.0.4.1"))), "10.0.1.1");
    assert.equal(s4(s.prev(n("10.0.1.1"))), "10.0.0.254");
    assert.equal(s.prev(n("10.0.0.254")), undefined);
    assert.equal(s.contains(n("10.0.1.0")), false);
    assert.equal(s.inRanges(n("10.0.1.0")), true);
    assert.equal(s.capacity(), 4n);
  });
  it("finds the lowest free address after random holds and releases (brute-force check)", () => {
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 700 }), fc.integer({ min: 0, max: 300 })), {
          minLength: 1,
          maxLength: 4,
        }),
        fc.array(fc.integer({ min: 0, max: 1100 }), { maxLength: 400, size: "medium" }),
        (buggy, ranges, toggles) => {
          const base = 0x0a000000;
          const p = {
            name: "p",
            autoAssign: true,
            avoidBuggyIps: buggy,
            ranges: ranges.map(([a, len]) => ({
              first: new IpAddress(4, base + a),
              last: new IpAddress(4, base + a + len),
            })),
          };
          const s = new PoolSpace(p, 4, 0);
          const usable = (v: number) =>
            ranges.some(([a, len]) => v >= a && v <= a + len) &&
            !(buggy && (v % 256 === 0 || v % 256 === 255));
          const held = new Set<number>();
          for (const t of toggles) {
            if (!usable(t)) continue;
            if (held.has(t)) {
              held.delete(t);
              s.used.delete(BigInt(base + t));
            } else {
              held.add(t);
              s.used.add(BigInt(base + t));
            }
            let expect: number | undefined;
            for (let v = 0; v <= 1100; v++) {
              if (usable(v) && !held.has(v)) {
                expect = v;
                break;
              }
            }
            const got = s.lowestFree();
            assert.equal(got === undefined ? undefined : Number(got) - base, expect);
          }
        },
      ),
      { seed: 7, numRuns: 40 },
    );
  });
});
