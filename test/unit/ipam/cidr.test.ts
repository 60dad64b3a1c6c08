import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { IpAddress } from "../../../protocol/ip/index.ts";
import { confusesBuggyFirmware, prefixRange, rangeSize, summarize } from "../../../src/ipam/index.ts";
import { ip, range } from "./helpers.ts";

const sum = (r: string) => summarize(range(r)).map(String);

describe("summarize: a range as the minimal CIDR list", () => {
  it("splits MetalLB's documented example", () => {
    assert.deepEqual(sum("192.168.1.240-192.168.1.250"), [
      "192.168.1.240/29",
      "192.168.1.248/31",
      "192.168.1.250/32",
    ]);
  });
  it("keeps an aligned CIDR whole, /8 and /64 included", () => {
    assert.deepEqual(sum("10.0.0.0/8"), ["10.0.0.0/8"]);
    assert.deepEqual(sum("fd00:1::/64"), ["fd00:1::/64"]);
    assert.deepEqual(sum("0.0.0.0-255.255.255.255"), ["0.0.0.0/0"]);
    assert.deepEqual(sum("::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), ["::/0"]);
  });
  it("handles single addresses and unaligned ends", () => {
    assert.deepEqual(sum("10.0.0.5-10.0.0.5"), ["10.0.0.5/32"]);
    assert.deepEqual(sum("10.0.0.1-10.0.0.6"), ["10.0.0.1/32", "10.0.0.2/31", "10.0.0.4/31", "10.0.0.6/32"]);
    assert.deepEqual(sum("fd00::1-fd00::2"), ["fd00::1/128", "fd00::2/128"]);
  });
  it("is empty for an inverted or mixed-family range", () => {
    assert.deepEqual(summarize({ first: ip("10.0.0.9"), last: ip("10.0.0.1") }), []);
    assert.deepEqual(summarize({ first: ip("10.0.0.1"), last: ip("::1") }), []);
  });
  it("covers exactly the range, with no adjacent mergeable pair (random ranges)", () => {
    const v6 = fc.bigInt({ min: 0n, max: (1n << 128n) - 1n });
    fc.assert(
      fc.property(fc.boolean(), v6, v6, (four, a, b) => {
        const max = four ? (1n << 32n) - 1n : (1n << 128n) - 1n;
        let first = four ? a & max : a;
        let last = four ? b & max : b;
        if (first > last) [first, last] = [last, first];
        const family = four ? 4 : 6;
        const list = summarize({
          first: IpAddress.fromBigInt(family, first),
          last: IpAddress.fromBigInt(family, last),
        });
        let next = first;
        for (const p of list) {
          const r = prefixRange(p);
          assert.equal(r.first.toBigInt(), next);
          next = r.last.toBigInt() + 1n;
        }
        assert.equal(next, last + 1n);
        assert.ok(list.length <= 2 * (four ? 32 : 128));
        // Minimal: two neighbours of equal length never form an aligned block of the next size.
        for (let i = 1; i < list.length; i++) {
          const x = list[i - 1]!;
          const y = list[i]!;
          if (x.length === y.length && x.length > 0) {
            const width = four ? 32 : 128;
            const aligned =
              (x.address.toBigInt() >> BigInt(width - x.length + 1)) << BigInt(width - x.length + 1);
            assert.notEqual(aligned, x.address.toBigInt(), `${x} and ${y} could merge`);
          }
        }
      }),
      { seed: 3, numRuns: 300 },
    );
  });
});

describe("avoid-buggy-ips (MetalLB meaning)", () => {
  it("flags every IPv4 address ending in .0 or .255, never IPv6", () => {
    assert.equal(confusesBuggyFirmware(ip("10.1.2.0")), true);
    assert.equal(confusesBuggyFirmware(ip("10.1.2.255")), true);
    assert.equal(confusesBuggyFirmware(ip("10.1.2.1")), false);
    assert.equal(confusesBuggyFirmware(ip("fd00::ff")), false);
    assert.equal(confusesBuggyFirmware(ip("fd00::")), false);
  });
  it("counts usable addresses without enumerating", () => {
    assert.equal(rangeSize(range("10.0.0.0/24"), true), 254n);
    assert.equal(rangeSize(range("10.0.0.0/24"), false), 256n);
    assert.equal(rangeSize(range("10.0.0.0/16"), true), 65536n - 512n);
    assert.equal(rangeSize(range("10.0.0.0/8"), true), (1n << 24n) - 2n * 65536n);
    assert.equal(rangeSize(range("10.0.0.250-10.0.1.3"), true), 8n);
    assert.equal(rangeSize(range("10.0.0.255-10.0.1.0"), true), 0n);
    assert.equal(rangeSize(range("fd00::/64"), true), 1n << 64n);
  });
  it("matches a brute-force count on random small ranges", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 0, max: 1200 }), (start, len) => {
        const first = IpAddress.fromBigInt(4, BigInt(start) + 0x0a000000n);
        const last = IpAddress.fromBigInt(4, BigInt(start + len) + 0x0a000000n);
        let n = 0n;
        for (let x = start; x <= start + len; x++) if (x % 256 !== 0 && x % 256 !== 255) n++;
        assert.equal(rangeSize({ first, last }, true), n);
      }),
      { seed: 5, numRuns: 200 },
    );
  });
});
