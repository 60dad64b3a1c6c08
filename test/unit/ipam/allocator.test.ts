import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  type AllocationFailure,
  type AllocationRequest,
  Allocator,
  type IpamPool,
} from "../../../src/ipam/index.ts";
import { ip, pool, req, share, texts } from "./helpers.ts";

/** Assigns and returns the addresses as text; fails the test on an allocation failure. */
function got(a: Allocator, r: AllocationRequest): string[] {
  const res = a.assign(r);
  if (!res.ok) assert.fail(`${r.service}: ${JSON.stringify(res.error)}`);
  return texts(res.value.addresses);
}

function failure(a: Allocator, r: AllocationRequest): AllocationFailure {
  const res = a.assign(r);
  assert.equal(res.ok, false, `${r.service} should fail`);
  return (res as { error: AllocationFailure }).error;
}

const dual: IpamPool[] = [pool("dual", ["10.0.0.0/30", "fd00::/126"])];

describe("new addresses: lowest free of the first eligible pool", () => {
  it("hands out the lowest free address and reuses released ones first", () => {
    const a = new Allocator([pool("p", ["10.0.0.0/30"])]);
    assert.deepEqual(got(a, req("ns/a")), ["10.0.0.0"]);
    assert.deepEqual(got(a, req("ns/b")), ["10.0.0.1"]);
    assert.deepEqual(got(a, req("ns/c")), ["10.0.0.2"]);
    assert.deepEqual(texts(a.release("ns/b")!.addresses), ["10.0.0.1"]);
    assert.deepEqual(got(a, req("ns/d")), ["10.0.0.1"]);
    assert.deepEqual(got(a, req("ns/e")), ["10.0.0.3"]);
  });
  it("walks pools in configuration order and skips exhausted ones", () => {
    const a = new Allocator([pool("second", ["10.0.9.0-10.0.9.0"]), pool("first", ["10.0.0.0/24"])]);
    assert.deepEqual(got(a, req("ns/a")), ["10.0.9.0"]);
    assert.deepEqual(got(a, req("ns/b")), ["10.0.0.0"]);
    assert.equal(a.assignmentOf("ns/b")!.pool, "first");
  });
  it("walks a pool's ranges in address order", () => {
    const a = new Allocator([pool("p", ["10.0.5.0-10.0.5.1", "10.0.1.7-10.0.1.7"])]);
    assert.deepEqual(got(a, req("ns/a")), ["10.0.1.7"]);
    assert.deepEqual(got(a, req("ns/b")), ["10.0.5.0"]);
  });
  it("serves /8 and /64 pools without enumerating them", () => {
    const a = new Allocator([
      pool("big4", ["10.0.0.0/8"], { avoidBuggyIps: true }),
      pool("big6", ["fd00:1::/64"]),
    ]);
    assert.deepEqual(got(a, req("ns/a")), ["10.0.0.1"]);
    assert.deepEqual(got(a, req("ns/top", { ips: ["10.255.255.254"] })), ["10.255.255.254"]);
    assert.deepEqual(got(a, req("ns/b")), ["10.0.0.2"]);
    assert.deepEqual(got(a, req("ns/v6", { families: [6] })), ["fd00:1::"]);
    assert.deepEqual(got(a, req("ns/v6top", { ips: ["fd00:1::ffff:ffff:ffff:ffff"] })), [
      "fd00:1::ffff:ffff:ffff:ffff",
    ]);
    assert.deepEqual(got(a, req("ns/v6b", { families: [6] })), ["fd00:1::1"]);
    const [s4, s6] = a.poolStatus();
    assert.equal(s4!.ipv4.capacity, (1n << 24n) - 2n * 65536n);
    assert.equal(s4!.ipv4.inUse, 3);
    assert.equal(s6!.ipv6.capacity, 1n << 64n);
    assert.deepEqual(s6!.prefixes.map(String), ["fd00:1::/64"]);
  });
  it("fills 10,000 addresses of a /64 in order with one run of memory", () => {
    const a = new Allocator([pool("big6", ["fd00:1::/64"])]);
    for (let i = 0; i < 10000; i++) got(a, req(`ns/s${i}`, { families: [6] }));
    assert.deepEqual(texts(a.assignmentOf("ns/s9999")!.addresses), ["fd00:1::270f"]);
  });
  it("skips every .0 and .255 with avoidBuggyIps, not only a subnet's ends", () => {
    const a = new Allocator([pool("p", ["10.0.0.254-10.0.2.1"], { avoidBuggyIps: true })]);
    assert.deepEqual(got(a, req("ns/a")), ["10.0.0.254"]);
    assert.deepEqual(got(a, req("ns/b")), ["10.0.1.1"]);
    const b = new Allocator([pool("p", ["10.0.0.254-10.0.2.1"])]);
    got(b, req("ns/a"));
    assert.deepEqual(got(b, req("ns/b")), ["10.0.0.255"]);
  });
  it("fails with pool-exhausted naming the family and the pools tried", () => {
    const a = new Allocator([pool("p", ["10.0.0.1-10.0.0.1"]), pool("q", ["10.0.1.1-10.0.1.1"])]);
    got(a, req("ns/a"));
    got(a, req("ns/b"));
    assert.deepEqual(failure(a, req("ns/c")), { reason: "pool-exhausted", family: 4, pools: ["p", "q"] });
  });
});

describe("pools: autoAssign, names, families", () => {
  it("never auto-assigns from an autoAssign: false pool, but serves it by name or IP", () => {
    const a = new Allocator([
      pool("manual", ["10.0.0.0/30"], { autoAssign: false }),
      pool("auto", ["10.0.1.0/30"]),
    ]);
    assert.deepEqual(got(a, req("ns/a")), ["10.0.1.0"]);
    assert.deepEqual(got(a, req("ns/b", { pool: "manual" })), ["10.0.0.0"]);
    assert.deepEqual(got(a, req("ns/c", { ips: ["10.0.0.3"] })), ["10.0.0.3"]);
  });
  it("fails with auto-assign-disabled when no pool allows it", () => {
    const a = new Allocator([
      pool("m1", ["10.0.0.0/30"], { autoAssign: false }),
      pool("m2", ["10.0.1.0/30"], { autoAssign: false }),
    ]);
    assert.deepEqual(failure(a, req("ns/a")), { reason: "auto-assign-disabled", pools: ["m1", "m2"] });
  });
  it("fails with pool-not-found for an unknown pool name, and no-pools without config", () => {
    const a = new Allocator([pool("p", ["10.0.0.0/30"])]);
    assert.deepEqual(failure(a, req("ns/a", { pool: "nope" })), { reason: "pool-not-found", pool: "nope" });
    assert.deepEqual(failure(a, req("ns/b", { pool: "nope", ips: ["10.0.0.1"] })), {
      reason: "pool-not-found",
      pool: "nope",
    });
    assert.deepEqual(failure(new Allocator([]), req("ns/a")), { reason: "no-pools" });
  });
  it("takes only from the named pool, even when it is exhausted", () => {
    const a = new Allocator([pool("p", ["10.0.0.0-10.0.0.0"]), pool("q", ["10.0.1.0/30"])]);
    got(a, req("ns/a", { pool: "p" }));
    assert.deepEqual(failure(a, req("ns/b", { pool: "p" })), {
      reason: "pool-exhausted",
      family: 4,
      pools: ["p"],
    });
  });
  it("fails with family-not-available when no eligible pool has the family", () => {
    const a = new Allocator([
      pool("v4", ["10.0.0.0/30"]),
      pool("v6only", ["fd00::/120"], { autoAssign: false }),
    ]);
    assert.deepEqual(failure(a, req("ns/a", { families: [6] })), {
      reason: "family-not-available",
      family: 6,
      pools: ["v4"],
    });
    assert.deepEqual(got(a, req("ns/b", { families: [6], pool: "v6only" })), ["fd00::"]);
  });
});

describe("dual-stack", () => {
  it("SingleStack takes the primary family only", () => {
    const a = new Allocator(dual);
    assert.deepEqual(got(a, req("ns/a", { families: [6, 4], policy: "SingleStack" })), ["fd00::"]);
  });
  it("RequireDualStack takes one address per family from one pool, primary first", () => {
    const a = new Allocator([pool("v4only", ["10.9.0.0/30"]), ...dual]);
    assert.deepEqual(got(a, req("ns/a", { families: [6, 4], policy: "RequireDualStack" })), [
      "fd00::",
      "10.0.0.0",
    ]);
    assert.equal(a.assignmentOf("ns/a")!.pool, "dual");
  });
  it("RequireDualStack fails when no pool has both families or one family is exhausted", () => {
    const split = new Allocator([pool("v4", ["10.0.0.0/30"]), pool("v6", ["fd00::/126"])]);
    assert.deepEqual(failure(split, req("ns/a", { families: [4, 6], policy: "RequireDualStack" })), {
      reason: "family-not-available",
      family: 6,
      pools: ["v4", "v6"],
    });
    const tight = new Allocator([pool("dual", ["10.0.0.0/30", "fd00::-fd00::"])]);
    got(tight, req("ns/x", { families: [6] }));
    assert.deepEqual(failure(tight, req("ns/a", { families: [4, 6], policy: "RequireDualStack" })), {
      reason: "pool-exhausted",
      family: 6,
      pools: ["dual"],
    });
    assert.equal(tight.assignmentOf("ns/a"), undefined, "a failed RequireDualStack holds nothing");
  });
  it("PreferDualStack takes both when a pool has both, else one family", () => {
    const a = new Allocator(dual);
    assert.deepEqual(got(a, req("ns/a", { families: [4, 6], policy: "PreferDualStack" })), [
      "10.0.0.0",
      "fd00::",
    ]);
    const split = new Allocator([pool("v4", ["10.0.0.0/30"]), pool("v6", ["fd00::/126"])]);
    assert.deepEqual(got(split, req("ns/a", { families: [6, 4], policy: "PreferDualStack" })), ["fd00::"]);
  });
  it("PreferDualStack gains the missing family from its pool later, without moving", () => {
    const p = [pool("dual", ["10.0.0.0/30", "fd00::-fd00::"])];
    const a = new Allocator(p);
    got(a, req("ns/x", { families: [6] }));
    const r = req("ns/a", { families: [4, 6], policy: "PreferDualStack" });
    assert.deepEqual(got(a, r), ["10.0.0.0"]);
    a.release("ns/x");
    assert.deepEqual(got(a, r), ["10.0.0.0", "fd00::"]);
  });
  it("dropping to SingleStack keeps the primary address and frees the other", () => {
    const a = new Allocator(dual);
    got(a, req("ns/a", { families: [4, 6], policy: "RequireDualStack" }));
    assert.deepEqual(got(a, req("ns/a", { families: [4, 6], policy: "SingleStack" })), ["10.0.0.0"]);
    assert.deepEqual(got(a, req("ns/b", { families: [6] })), ["fd00::"]);
  });
});

describe("requested IPs", () => {
  const pools = [
    pool("p", ["10.0.0.0/24"], { avoidBuggyIps: true }),
    pool("q", ["10.0.1.0/24", "fd00::/120"]),
  ];
  it("assigns exactly the requested IP, ignoring autoAssign", () => {
    const a = new Allocator([pool("m", ["10.0.0.0/24"], { autoAssign: false })]);
    assert.deepEqual(got(a, req("ns/a", { ips: ["10.0.0.77"] })), ["10.0.0.77"]);
  });
  it("names the Service holding a requested IP", () => {
    const a = new Allocator(pools);
    got(a, req("ns/a", { ips: ["10.0.0.7"] }));
    assert.deepEqual(failure(a, req("ns/b", { ips: ["10.0.0.7"] })), {
      reason: "ip-in-use",
      address: ip("10.0.0.7"),
      holder: "ns/a",
      conflict: { kind: "holder-not-shared" },
    });
  });
  it("says why an IP is not in a pool", () => {
    const a = new Allocator(pools);
    const notIn = (ips: string[], extra: Partial<AllocationRequest> = {}) =>
      failure(a, req("ns/x", { ips, ...extra }));
    assert.deepEqual(notIn(["192.0.2.1"]), {
      reason: "ip-not-in-pool",
      address: ip("192.0.2.1"),
      why: "no-pool",
      pool: undefined,
    });
    assert.deepEqual(notIn(["10.0.0.255"]), {
      reason: "ip-not-in-pool",
      address: ip("10.0.0.255"),
      why: "avoid-buggy-ips",
      pool: undefined,
    });
    assert.deepEqual(notIn(["10.0.1.5"], { pool: "p" }), {
      reason: "ip-not-in-pool",
      address: ip("10.0.1.5"),
      why: "not-in-requested-pool",
      pool: "p",
    });
    assert.deepEqual(notIn(["10.0.0.5", "fd00::5"], { families: [4, 6], policy: "RequireDualStack" }), {
      reason: "ip-not-in-pool",
      address: ip("fd00::5"),
      why: "different-pools",
      pool: undefined,
    });
  });
  it("assigns a dual-stack pair from one pool", () => {
    const a = new Allocator(pools);
    assert.deepEqual(got(a, req("ns/a", { ips: ["10.0.1.5", "fd00::5"], policy: "RequireDualStack" })), [
      "10.0.1.5",
      "fd00::5",
    ]);
  });
  it("a requested IP later taken by nobody else is not handed out automatically", () => {
    const a = new Allocator([pool("p", ["10.0.0.0/30"])]);
    got(a, req("ns/a", { ips: ["10.0.0.0"] }));
    assert.deepEqual(got(a, req("ns/b")), ["10.0.0.1"]);
  });
});

describe("sharing (allow-shared-ip)", () => {
  const pools = [pool("p", ["10.0.0.0/30"])];
  it("lets Services with one key, disjoint ports and the same policy share an IP", () => {
    const a = new Allocator(pools);
    got(a, req("ns/dns-tcp", { ips: ["10.0.0.2"], sharing: share("dns", [["TCP", 53]]) }));
    assert.deepEqual(got(a, req("ns/dns-udp", { ips: ["10.0.0.2"], sharing: share("dns", [["UDP", 53]]) })), [
      "10.0.0.2",
    ]);
    assert.deepEqual(a.holdersOf(ip("10.0.0.2")), ["ns/dns-tcp", "ns/dns-udp"]);
  });
  it("auto-assigns the address already shared under the key, ahead of a lower free one", () => {
    const a = new Allocator(pools);
    got(a, req("ns/a", { ips: ["10.0.0.3"], sharing: share("k", [80]) }));
    assert.deepEqual(got(a, req("ns/b", { sharing: share("k", [443]) })), ["10.0.0.3"]);
    assert.deepEqual(
      got(a, req("ns/c", { sharing: share("k", [80]) })),
      ["10.0.0.0"],
      "port 80 is taken on .3",
    );
  });
  it("refuses sharing and says why", () => {
    const a = new Allocator(pools);
    got(a, req("ns/a", { ips: ["10.0.0.1"], sharing: share("k", [80]) }));
    got(a, req("ns/solo", { ips: ["10.0.0.2"] }));
    const conflict = (r: AllocationRequest) => {
      const f = failure(a, r);
      assert.equal(f.reason, "ip-in-use");
      return f.reason === "ip-in-use" ? [f.holder, f.conflict] : [];
    };
    assert.deepEqual(conflict(req("ns/b", { ips: ["10.0.0.1"] })), ["ns/a", { kind: "not-shared" }]);
    assert.deepEqual(conflict(req("ns/b", { ips: ["10.0.0.2"], sharing: share("k", [81]) })), [
      "ns/solo",
      { kind: "holder-not-shared" },
    ]);
    assert.deepEqual(conflict(req("ns/b", { ips: ["10.0.0.1"], sharing: share("other", [81]) })), [
      "ns/a",
      { kind: "key-mismatch", key: "other", holderKey: "k" },
    ]);
    assert.deepEqual(conflict(req("ns/b", { ips: ["10.0.0.1"], sharing: share("k", [8080, 80]) })), [
      "ns/a",
      { kind: "port-overlap", protocol: "TCP", port: 80 },
    ]);
    assert.deepEqual(conflict(req("ns/b", { ips: ["10.0.0.1"], sharing: share("k", [81], "Local:app=x") })), [
      "ns/a",
      { kind: "traffic-policy", backend: "Local:app=x", holderBackend: "Cluster" },
    ]);
  });
  it("lets Local Services share only with the same selector", () => {
    const a = new Allocator(pools);
    got(a, req("ns/a", { ips: ["10.0.0.1"], sharing: share("k", [80], "Local:app=x") }));
    assert.deepEqual(got(a, req("ns/b", { ips: ["10.0.0.1"], sharing: share("k", [81], "Local:app=x") })), [
      "10.0.0.1",
    ]);
    assert.equal(
      a.assign(req("ns/c", { ips: ["10.0.0.1"], sharing: share("k", [82], "Local:app=y") })).ok,
      false,
    );
  });
  it("checks every co-holder, and frees a shared IP only with its last holder", () => {
    const a = new Allocator([pool("p", ["10.0.0.0-10.0.0.0"])]);
    got(a, req("ns/a", { sharing: share("k", [80]) }));
    got(a, req("ns/b", { sharing: share("k", [81]) }));
    assert.equal(a.assign(req("ns/c", { sharing: share("k", [81]) })).ok, false, "overlaps ns/b");
    a.release("ns/a");
    assert.equal(a.assign(req("ns/d")).ok, false);
    a.release("ns/b");
    assert.deepEqual(got(a, req("ns/d")), ["10.0.0.0"]);
  });
  it("moves the updated Service, not its partner, when a port change makes them clash", () => {
    const a = new Allocator(pools);
    got(a, req("ns/a", { sharing: share("k", [80]) }));
    got(a, req("ns/b", { sharing: share("k", [81]) }));
    assert.deepEqual(got(a, req("ns/b", { sharing: share("k", [80]) })), ["10.0.0.1"]);
    assert.deepEqual(texts(a.assignmentOf("ns/a")!.addresses), ["10.0.0.0"]);
  });
});

describe("keeping addresses", () => {
  it("keeps an address across repeated assigns and unrelated deletions", () => {
    const a = new Allocator([pool("p", ["10.0.0.0/29"])]);
    for (const s of ["a", "b", "c"]) got(a, req(`ns/${s}`));
    a.release("ns/a");
    assert.deepEqual(got(a, req("ns/c")), ["10.0.0.2"]);
    assert.deepEqual(got(a, req("ns/b")), ["10.0.0.1"]);
  });
  it("keeps an auto-assigned address when its pool stops auto-assigning", () => {
    const a = new Allocator([pool("p", ["10.0.0.0/29"])]);
    got(a, req("ns/a"));
    const report = a.setPools([pool("p", ["10.0.0.0/29"], { autoAssign: false })]);
    assert.deepEqual(report.orphans, []);
    assert.deepEqual(got(a, req("ns/a")), ["10.0.0.0"]);
  });
  it("keeps an address whose pool was renamed or whose range grew", () => {
    const a = new Allocator([pool("old", ["10.0.0.0/29"])]);
    got(a, req("ns/a"));
    assert.deepEqual(a.setPools([pool("new", ["10.0.0.0/24"])]).orphans, []);
    assert.deepEqual(got(a, req("ns/a")), ["10.0.0.0"]);
    assert.equal(a.assignmentOf("ns/a")!.pool, "new");
  });
  it("moves a Service whose pool annotation changed", () => {
    const a = new Allocator([pool("p", ["10.0.0.0/30"]), pool("q", ["10.0.1.0/30"])]);
    got(a, req("ns/a"));
    assert.deepEqual(got(a, req("ns/a", { pool: "q" })), ["10.0.1.0"]);
    assert.deepEqual(got(a, req("ns/b")), ["10.0.0.0"]);
  });
  it("keeps what it holds when a changed request cannot be met, and says why", () => {
    const a = new Allocator([pool("p", ["10.0.0.0/30"])]);
    got(a, req("ns/holder", { ips: ["10.0.0.3"] }));
    got(a, req("ns/a"));
    assert.equal(failure(a, req("ns/a", { ips: ["10.0.0.3"] })).reason, "ip-in-use");
    assert.deepEqual(texts(a.assignmentOf("ns/a")!.addresses), ["10.0.0.0"]);
    assert.equal(failure(a, req("ns/a", { pool: "gone" })).reason, "pool-not-found");
    assert.deepEqual(texts(a.assignmentOf("ns/a")!.addresses), ["10.0.0.0"]);
  });
});

describe("restart: rebuild from held addresses before allocating", () => {
  const pools = [pool("p", ["10.0.0.0/29"])];
  it("restores every held address first, so no new Service gets a live IP (MetalLB #1774, #2443)", () => {
    // Service z holds .0; a new Service a sorts first. A rebuild that allocated while
    // restoring would give a .0 (the bug): restore must see z's address first.
    const { allocator: a, report } = Allocator.restore(pools, [
      { request: req("ns/z"), held: [ip("10.0.0.0")] },
      { request: req("ns/a"), held: [] },
    ]);
    assert.deepEqual(report, { conflicts: [], orphans: [] });
    assert.deepEqual(got(a, req("ns/a")), ["10.0.0.1"]);
    assert.deepEqual(got(a, req("ns/z")), ["10.0.0.0"]);
  });
  it("does not depend on the order Services are listed in", () => {
    const entries = [
      { request: req("ns/b", { sharing: share("k", [80]) }), held: [ip("10.0.0.3")] },
      { request: req("ns/a", { sharing: share("k", [81]) }), held: [ip("10.0.0.3")] },
      { request: req("ns/c"), held: [ip("10.0.0.1")] },
    ];
    const one = Allocator.restore(pools, entries).allocator;
    const two = Allocator.restore(pools, [...entries].reverse()).allocator;
    assert.deepEqual(one.assignments(), two.assignments());
    assert.deepEqual(one.holdersOf(ip("10.0.0.3")), ["ns/a", "ns/b"]);
  });
  it("reports a duplicated IP: the first Service in key order keeps it, the other moves", () => {
    const { allocator: a, report } = Allocator.restore(pools, [
      { request: req("ns/b"), held: [ip("10.0.0.5")] },
      { request: req("ns/a"), held: [ip("10.0.0.5")] },
    ]);
    assert.deepEqual(report.conflicts, [
      { service: "ns/b", address: ip("10.0.0.5"), holder: "ns/a", conflict: { kind: "holder-not-shared" } },
    ]);
    assert.deepEqual(got(a, req("ns/a")), ["10.0.0.5"]);
    assert.deepEqual(got(a, req("ns/b")), ["10.0.0.0"]);
  });
  it("reports a second address of one family", () => {
    const { report } = Allocator.restore(pools, [
      { request: req("ns/a"), held: [ip("10.0.0.1"), ip("10.0.0.2")] },
    ]);
    assert.deepEqual(report.conflicts, [
      {
        service: "ns/a",
        address: ip("10.0.0.2"),
        holder: "ns/a",
        conflict: { kind: "second-address-of-family" },
      },
    ]);
  });
  it("keeps a held address outside every pool and reports it as an orphan", () => {
    const { allocator: a, report } = Allocator.restore(pools, [
      { request: req("ns/a"), held: [ip("192.0.2.9")] },
    ]);
    assert.deepEqual(report.orphans, [
      { service: "ns/a", address: ip("192.0.2.9"), from: undefined, why: "no-pool" },
    ]);
    assert.deepEqual(got(a, req("ns/a")), ["192.0.2.9"]);
    assert.equal(a.assignmentOf("ns/a")!.pool, undefined);
  });
});

describe("config changes that would orphan an assigned IP", () => {
  const before = [pool("p", ["10.0.0.0/24"]), pool("named", ["10.0.1.0/24"])];
  function setup(options = {}) {
    const a = new Allocator(before, options);
    got(a, req("ns/a", { ips: ["10.0.0.255"] }));
    got(a, req("ns/b", { ips: ["10.0.0.7"] }));
    got(a, req("ns/c", { pool: "named" }));
    return a;
  }
  const after = [
    pool("p", ["10.0.0.0/25", "10.0.0.128/25"], { avoidBuggyIps: true }),
    pool("other", ["10.0.1.0/24"]),
  ];
  const expected = [
    { service: "ns/a", address: ip("10.0.0.255"), from: "p", why: "avoid-buggy-ips" },
    { service: "ns/c", address: ip("10.0.1.0"), from: "named", why: "pool-not-found" },
  ];
  it("previews the orphans without applying anything", () => {
    const a = setup();
    assert.deepEqual(a.previewPools(after).orphans, expected);
    assert.deepEqual(a.orphans(), []);
    assert.equal(a.pools, before);
  });
  it("by default applies the config, keeps orphans where they are and keeps reporting them", () => {
    const a = setup();
    const report = a.setPools(after);
    assert.deepEqual(report, { orphans: expected, moved: [], failed: [] });
    assert.deepEqual(got(a, req("ns/a", { ips: ["10.0.0.255"] })), ["10.0.0.255"]);
    assert.deepEqual(texts(a.assignmentOf("ns/c")!.addresses), ["10.0.1.0"]);
    assert.deepEqual(
      a.orphans().map((o) => [o.service, o.why]),
      [
        ["ns/a", "avoid-buggy-ips"],
        ["ns/c", "pool-not-found"],
      ],
    );
    assert.deepEqual(
      got(a, req("ns/b", { ips: ["10.0.0.7"] })),
      ["10.0.0.7"],
      "a valid address is untouched",
    );
  });
  it("moves orphans only under the reallocate policy, reporting each move", () => {
    const a = setup({ orphans: "reallocate" });
    const report = a.setPools([...after, pool("named", ["10.0.2.0/24"])]);
    assert.deepEqual(
      report.orphans.map((o) => [o.service, o.why]),
      [
        ["ns/a", "avoid-buggy-ips"],
        ["ns/c", "not-in-requested-pool"],
      ],
    );
    assert.deepEqual(
      report.moved.map((m) => [m.from.service, texts(m.from.addresses), texts(m.to.addresses)]),
      [["ns/c", ["10.0.1.0"], ["10.0.2.0"]]],
    );
    assert.deepEqual(report.failed, [
      {
        service: "ns/a",
        failure: {
          reason: "ip-not-in-pool",
          address: ip("10.0.0.255"),
          why: "avoid-buggy-ips",
          pool: undefined,
        },
      },
    ]);
  });
  it("reports not-in-requested-pool when ranges move between pools", () => {
    const a = new Allocator([pool("x", ["10.0.0.0/24"]), pool("y", ["10.0.1.0/24"])]);
    got(a, req("ns/a", { pool: "x" }));
    assert.deepEqual(a.previewPools([pool("x", ["10.0.1.0/24"]), pool("y", ["10.0.0.0/24"])]).orphans, [
      { service: "ns/a", address: ip("10.0.0.0"), from: "x", why: "not-in-requested-pool" },
    ]);
  });
  it("an orphan moves once its Service changes its request", () => {
    const a = setup();
    a.setPools(after);
    assert.deepEqual(got(a, req("ns/c")), ["10.0.1.0"], "no pool named: its address is allowed again");
    assert.deepEqual(got(a, req("ns/a")), ["10.0.0.1"], "no requested IP: it moves to an allowed one");
  });
});
