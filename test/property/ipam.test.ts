/**
 * Allocator properties (issue 3). For random pools and random sequences of
 * create / update / delete / restart / config change:
 * - no address is ever held by two Services that may not share it;
 * - every held address lies in an allowed pool, or is reported by `orphans()` (only a
 *   config change or a request change that could not be met leaves one behind);
 * - a restart (rebuild from the held addresses, Services listed in any order) changes no
 *   assignment (restore reproduces the state, and the controller's next pass gives the same
 *   result with or without the restart), and two rebuilds from different orders agree.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { type Family, IpAddress } from "../../protocol/ip/index.ts";
import {
  type AllocationRequest,
  Allocator,
  type IpamPool,
  type IpFamilyPolicy,
  type Orphan,
  sharingConflict,
} from "../../src/ipam/index.ts";

const SERVICES = ["ns/a", "ns/b", "ns/c", "ns/d", "ns/e", "ns/f", "ns/g", "ns/h"];
const POOL_NAMES = ["p0", "p1", "p2"];

/** Pool i owns 10.0.2i.248 – 10.0.2i+1.7 and fd00::i00 – fd00::i0f, so pools never overlap. */
const v4Base = (i: number) => (10 << 24) | ((2 * i) << 8) | 248;
const v6Base = (i: number) => 0xfd00_0000n * (1n << 96n) + BigInt(i) * 0x100n;

/** `arb` in `weight` of `outOf` draws, else undefined. */
function sometimes<T>(arb: fc.Arbitrary<T>, weight: number, outOf: number): fc.Arbitrary<T | undefined> {
  return fc.oneof({ weight, arbitrary: arb }, { weight: outOf - weight, arbitrary: fc.constant(undefined) });
}

const poolArb = (i: number): fc.Arbitrary<IpamPool> =>
  fc
    .record({
      v4: fc.array(fc.tuple(fc.integer({ min: 0, max: 15 }), fc.integer({ min: 0, max: 6 })), {
        minLength: i === 0 ? 1 : 0,
        maxLength: 2,
      }),
      v6: fc.option(fc.tuple(fc.integer({ min: 0, max: 15 }), fc.integer({ min: 0, max: 4 })), {
        nil: undefined,
      }),
      autoAssign: sometimes(fc.constant(false), 1, 3).map((x) => x ?? true),
      avoidBuggyIps: fc.boolean(),
    })
    .map(({ v4, v6, autoAssign, avoidBuggyIps }) => ({
      name: POOL_NAMES[i]!,
      autoAssign,
      avoidBuggyIps,
      ranges: [
        ...v4.map(([off, len]) => ({
          first: new IpAddress(4, v4Base(i) + off),
          last: new IpAddress(4, v4Base(i) + Math.min(off + len, 15)),
        })),
        ...(v6 === undefined
          ? []
          : [
              {
                first: IpAddress.fromBigInt(6, v6Base(i) + BigInt(v6[0])),
                last: IpAddress.fromBigInt(6, v6Base(i) + BigInt(Math.min(v6[0] + v6[1], 15))),
              },
            ]),
      ],
    }));

const poolsArb: fc.Arbitrary<IpamPool[]> = fc
  .integer({ min: 1, max: 3 })
  .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => poolArb(i))))
  .map((pools) => [...pools]);

/** Addresses requests may name: every pool's area plus one address outside all pools. */
const addressArb: fc.Arbitrary<IpAddress> = fc.oneof(
  fc
    .tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 15 }))
    .map(([i, o]) => new IpAddress(4, v4Base(i) + o)),
  fc
    .tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 15 }))
    .map(([i, o]) => IpAddress.fromBigInt(6, v6Base(i) + BigInt(o))),
  fc.constant(IpAddress.of("192.0.2.1")),
);

const requestArb = (service: string): fc.Arbitrary<AllocationRequest> =>
  fc
    .record({
      shape: fc.constantFrom<[Family[], IpFamilyPolicy]>(
        [[4], "SingleStack"],
        [[6], "SingleStack"],
        [[4, 6], "PreferDualStack"],
        [[6, 4], "PreferDualStack"],
        [[4, 6], "RequireDualStack"],
      ),
      ips: sometimes(addressArb, 1, 4),
      pool: sometimes(fc.constantFrom("p0", "p1", "p2", "nope"), 1, 4),
      sharing: sometimes(
        fc.record({
          key: fc.constantFrom("k1", "k2"),
          ports: fc
            .subarray([80, 443, 53, 8080, 22], { maxLength: 2 })
            .map((ps) => ps.map((port) => ({ protocol: "TCP", port }))),
          backend: fc.constantFrom("Cluster", "Cluster", "Local:app=x"),
        }),
        1,
        2,
      ),
    })
    .map(({ shape, ips, pool, sharing }) => {
      const [families, policy] = shape;
      const addresses = ips === undefined ? [] : [ips];
      return {
        service,
        families: addresses.length > 0 ? [ips!.family] : families,
        policy: addresses.length > 0 ? "SingleStack" : policy,
        addresses,
        pool,
        sharing,
      };
    });

type Op =
  | { op: "put"; request: AllocationRequest }
  | { op: "delete"; service: string }
  | { op: "restart"; order: number[] }
  | { op: "config"; pools: IpamPool[] };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .constantFrom(...SERVICES)
      .chain((s) => requestArb(s).map((request) => ({ op: "put" as const, request }))),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom(...SERVICES).map((service) => ({ op: "delete" as const, service })),
  },
  {
    weight: 1,
    arbitrary: fc
      .array(fc.nat(), { minLength: 8, maxLength: 8 })
      .map((order) => ({ op: "restart" as const, order })),
  },
  { weight: 1, arbitrary: poolsArb.map((pools) => ({ op: "config" as const, pools })) },
);

/** Allowed by the config for this request: usable in a pool (the named one, if any). */
function allowed(pools: readonly IpamPool[], a: IpAddress, r: AllocationRequest): boolean {
  const x = a.toBigInt();
  return pools.some(
    (p) =>
      (r.pool === undefined || r.pool === p.name) &&
      !(p.avoidBuggyIps && a.family === 4 && ((a.w0 & 255) === 0 || (a.w0 & 255) === 255)) &&
      p.ranges.some((g) => g.first.family === a.family && g.first.toBigInt() <= x && x <= g.last.toBigInt()),
  );
}

const snapshot = (a: Allocator) =>
  a.assignments().map((s) => `${s.service}=${s.addresses.map(String).join(",")}`);

function rebuild(
  pools: readonly IpamPool[],
  live: Map<string, AllocationRequest>,
  from: Allocator,
  order: number[],
) {
  const entries = [...live.values()].map((request) => ({
    request,
    held: from.assignmentOf(request.service)?.addresses ?? [],
  }));
  // Shuffle by the generated keys: the restore must not care.
  const keyed = entries.map((e, i) => ({ e, k: order[i % order.length]! * 16 + i }));
  keyed.sort((x, y) => x.k - y.k);
  const { allocator, report } = Allocator.restore(
    pools,
    keyed.map((x) => x.e),
  );
  assert.deepEqual(report.conflicts, [], "an allocator-made state restores without conflicts");
  return allocator;
}

function checkInvariants(
  a: Allocator,
  pools: readonly IpamPool[],
  live: Map<string, AllocationRequest>,
  configChanged: boolean,
) {
  const orphans = a.orphans();
  const holders = new Map<string, string[]>();
  for (const s of a.assignments()) {
    const r = live.get(s.service);
    assert.ok(r !== undefined, `${s.service} holds addresses but was deleted`);
    const families = s.addresses.map((x) => x.family);
    assert.equal(new Set(families).size, families.length, `${s.service}: one address per family`);
    for (const x of s.addresses) {
      const isOrphan = orphans.some((o) => o.service === s.service && o.address.equals(x));
      assert.ok(
        allowed(pools, x, r) || isOrphan,
        `${s.service} holds ${x} outside its allowed pools, unreported`,
      );
      if (!configChanged)
        assert.ok(
          allowed(pools, x, { ...r, pool: undefined }),
          `${s.service} holds ${x}, which is in no pool`,
        );
      const list = holders.get(x.toString()) ?? [];
      list.push(s.service);
      holders.set(x.toString(), list);
    }
  }
  for (const [address, list] of holders) {
    assert.deepEqual([...a.holdersOf(IpAddress.of(address))].sort(), [...list].sort());
    for (const s of list) {
      for (const t of list) {
        if (s === t) continue;
        const c = sharingConflict(live.get(s)!.sharing, live.get(t)!.sharing);
        assert.equal(c, undefined, `${s} and ${t} share ${address} but may not (${JSON.stringify(c)})`);
      }
    }
  }
}

describe("allocator properties", () => {
  it("never double-books, stays in allowed pools, and survives restarts unchanged", () => {
    fc.assert(
      fc.property(poolsArb, fc.array(opArb, { minLength: 1, maxLength: 40, size: "max" }), (initial, ops) => {
        let pools: IpamPool[] = initial;
        let a = new Allocator(pools);
        const live = new Map<string, AllocationRequest>();
        let configChanged = false;
        for (const op of ops) {
          if (op.op === "put") {
            live.set(op.request.service, op.request);
            const r = a.assign(op.request);
            if (r.ok) {
              const got = r.value.addresses;
              if (op.request.addresses.length > 0)
                assert.deepEqual(got.map(String), op.request.addresses.map(String));
              if (op.request.policy === "RequireDualStack") assert.equal(got.length, 2);
            }
          } else if (op.op === "delete") {
            live.delete(op.service);
            a.release(op.service);
          } else if (op.op === "config") {
            const preview = a.previewPools(op.pools);
            const report = a.setPools(op.pools);
            assert.deepEqual(report.orphans, preview.orphans);
            assert.deepEqual(report.moved, []);
            pools = op.pools;
            configChanged = true;
            const brief = (os: readonly Orphan[]) => os.map((o) => `${o.service} ${o.address} ${o.why}`);
            assert.deepEqual(
              brief(a.orphans()),
              brief(report.orphans),
              "keep policy: orphans stay where they are",
            );
            // A controller pass with unchanged requests must not move an orphan either (only a
            // pending requested IP that became available may replace what a Service holds).
            for (const r of [...live.values()].sort((x, y) => (x.service < y.service ? -1 : 1))) a.assign(r);
            for (const o of report.orphans) {
              const r = live.get(o.service)!;
              if (r.addresses.length > 0 && !r.addresses.some((x) => x.equals(o.address))) continue;
              assert.ok(
                a.holdersOf(o.address).includes(o.service),
                `orphan ${o.address} of ${o.service} moved`,
              );
            }
          } else {
            const before = snapshot(a);
            const one = rebuild(pools, live, a, op.order);
            const two = rebuild(pools, live, a, [...op.order].reverse());
            assert.deepEqual(snapshot(one), before, "restore reproduces every assignment");
            // The controller's pass after a restart: assign every Service in key order. A
            // restart must change nothing: the same pass on the live allocator gives the same
            // result (a pending request may be met by either, but never differently).
            for (const r of [...live.values()].sort((x, y) => (x.service < y.service ? -1 : 1))) {
              one.assign(r);
              two.assign(r);
              a.assign(r);
            }
            assert.deepEqual(snapshot(one), snapshot(two), "rebuild order does not matter");
            assert.deepEqual(snapshot(one), snapshot(a), "a restart changes no assignment");
            a = one;
          }
          checkInvariants(a, pools, live, configChanged);
        }
      }),
      { seed: 20261127, numRuns: 300 },
    );
  });

  it("under the reallocate policy, a config change leaves orphans only where a move failed", () => {
    fc.assert(
      fc.property(
        poolsArb,
        fc.array(opArb, { minLength: 1, maxLength: 30, size: "max" }),
        poolsArb,
        (initial, ops, next) => {
          const a = new Allocator(initial, { orphans: "reallocate" });
          const live = new Map<string, AllocationRequest>();
          for (const op of ops) {
            if (op.op === "put") {
              live.set(op.request.service, op.request);
              a.assign(op.request);
            } else if (op.op === "delete") {
              live.delete(op.service);
              a.release(op.service);
            }
          }
          const report = a.setPools(next);
          const failed = new Set(report.failed.map((f) => f.service));
          for (const o of a.orphans())
            assert.ok(failed.has(o.service), `${o.service} stays orphaned without a failure`);
          for (const m of report.moved) assert.deepEqual(a.assignmentOf(m.to.service), m.to);
          checkInvariants(a, next, live, true);
        },
      ),
      { seed: 42, numRuns: 200 },
    );
  });
});
