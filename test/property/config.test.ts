/**
 * Properties of the config layer: overlap detection agrees with brute force, what is written
 * is what is read, and range summaries cover exactly. Fixed seeds and run counts.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { IpAddress, Prefix } from "../../protocol/ip/index.ts";
import { prefixRange, summarize } from "../../src/config/addresses.ts";
import { parseConfig } from "../../src/config/index.ts";

const seed = 20240603;

/** A small address space (10.0.0.0-10.0.1.255 and 2001:db8::0-1ff) so overlaps are common. */
const entry = fc.oneof(
  fc
    .record({ v6: fc.boolean(), a: fc.nat(511), len: fc.integer({ min: 0, max: 9 }) })
    .map(({ v6, a, len }) => {
      const size = 1 << len;
      const first = BigInt(a - (a % size));
      return { v6, kind: "cidr" as const, first, last: first + BigInt(size - 1), len };
    }),
  fc.record({ v6: fc.boolean(), a: fc.nat(511), b: fc.nat(511) }).map(({ v6, a, b }) => ({
    v6,
    kind: "range" as const,
    first: BigInt(Math.min(a, b)),
    last: BigInt(Math.max(a, b)),
    len: 0,
  })),
);
type Entry = typeof entry extends fc.Arbitrary<infer T> ? T : never;

const addr = (v6: boolean, n: bigint) =>
  v6 ? IpAddress.fromBigInt(6, 0x20010db8n * (1n << 96n) + n) : IpAddress.fromBigInt(4, 0x0a000000n + n);
const text = (e: Entry) =>
  e.kind === "cidr"
    ? `${addr(e.v6, e.first)}/${(e.v6 ? 128 : 32) - e.len}`
    : `${addr(e.v6, e.first)}-${addr(e.v6, e.last)}`;

describe("config properties", () => {
  it("pools are accepted exactly when no two ranges overlap, and read back as written", () => {
    const pools = fc.array(fc.array(entry, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 4 });
    fc.assert(
      fc.property(pools, (ps) => {
        const yaml = `address-pools:\n${ps
          .map(
            (es, i) =>
              `- name: p${i}\n  protocol: layer2\n  addresses:\n${es.map((e) => `  - ${text(e)}\n`).join("")}`,
          )
          .join("")}`;
        const all = ps.flat();
        let pairs = 0;
        for (let i = 0; i < all.length; i++)
          for (let j = i + 1; j < all.length; j++) {
            const [a, b] = [all[i]!, all[j]!];
            if (a.v6 === b.v6 && a.first <= b.last && b.first <= a.last) pairs++;
          }
        const r = parseConfig(yaml);
        if (pairs === 0) {
          assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
          r.config.addressPools.forEach((p, i) => {
            p.ranges.forEach((rg, j) => {
              const e = ps[i]![j]!;
              assert.ok(rg.first.equals(addr(e.v6, e.first)) && rg.last.equals(addr(e.v6, e.last)));
            });
          });
        } else {
          assert.ok(!r.ok);
          assert.equal(r.errors.length, pairs);
          assert.ok(r.errors.every((e) => / overlaps /.test(e.message) && e.line !== undefined));
        }
      }),
      { seed, numRuns: 300 },
    );
  });

  it("range summaries cover exactly first..last with aligned prefixes, IPv4 and IPv6", () => {
    const bounds = fc.oneof(
      fc.tuple(
        fc.constant<4 | 6>(4),
        fc.bigInt({ min: 0n, max: (1n << 32n) - 1n }),
        fc.bigInt({ min: 0n, max: (1n << 32n) - 1n }),
      ),
      fc.tuple(
        fc.constant<4 | 6>(6),
        fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }),
        fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }),
      ),
    );
    fc.assert(
      fc.property(bounds, ([family, x, y]) => {
        const [lo, hi] = x <= y ? [x, y] : [y, x];
        const ps = summarize(IpAddress.fromBigInt(family, lo), IpAddress.fromBigInt(family, hi));
        let next = lo;
        for (const p of ps) {
          const r = prefixRange(p);
          assert.equal(r.first.toBigInt(), next);
          assert.ok(Prefix.of(r.first, p.length)!.equals(p));
          next = r.last.toBigInt() + 1n;
        }
        assert.equal(next, hi + 1n);
        assert.ok(ps.length <= 2 * (family === 4 ? 32 : 128));
      }),
      { seed, numRuns: 500 },
    );
  });

  it("random text never throws: parseConfig always answers", () => {
    const chars = fc.constantFrom(..."abc-:/ \n\t{}[],'\"&*!#|>?0123456789.".split(""));
    const frag = fc.constantFrom(
      "peers:",
      "address-pools:",
      "- ",
      "  ",
      "name: a",
      "addresses:",
      "protocol: bgp",
      "10.0.0.0/24",
    );
    fc.assert(
      fc.property(fc.array(fc.oneof(chars, frag), { maxLength: 60 }), (parts) => {
        const r = parseConfig(parts.join(""));
        assert.ok(r.ok || r.errors.length > 0);
      }),
      { seed, numRuns: 500 },
    );
  });
});
