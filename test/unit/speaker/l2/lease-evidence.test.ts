/** LeaseEvidence: Lease watch events → MemberEvidence, judged on our clock; names and the Lease body. */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  LEASE_SECONDS,
  LeaseEvidence,
  speakerLease,
  speakerLeaseName,
} from "../../../../src/speaker/l2/lease-evidence.ts";

const lease = (node: string, renewTime: string | null, holder: string | null = `${node}/1`) => ({
  metadata: { name: speakerLeaseName(node), labels: { "signalbox.io/node": node } },
  spec: { holderIdentity: holder, renewTime, leaseDurationSeconds: LEASE_SECONDS },
});

test("unknown until synced; a first sight proves nothing; a renewal seen is alive for the Lease duration", () => {
  const e = new LeaseEvidence();
  e.upsert(lease("b", "2026-11-27T21:00:00.000000Z"), 0);
  assert.deepEqual(e.evidence("b", 0), { state: "unknown" }, "not synced");
  e.synced(10);
  assert.deepEqual(e.evidence("b", 10), { state: "expired" }, "renewal time unknown");
  e.upsert(lease("b", "2026-11-27T21:00:02.000000Z"), 2000);
  assert.deepEqual(e.evidence("b", 2500), { state: "alive", renewedAt: 2000 });
  e.upsert(lease("b", "2026-11-27T21:00:02.000000Z"), 3000); // a relist: same stamp
  assert.deepEqual(e.evidence("b", 3000), { state: "alive", renewedAt: 2000 });
  e.apiReachable(8000);
  assert.deepEqual(e.evidence("b", 8001), { state: "expired" }, "not renewed for 6 s");
  assert.deepEqual(e.evidence("zz", 8001), { state: "unknown" }, "no Lease ever seen");
});

test("released or deleted Leases are expired or unknown; a broken watch makes everything unknown", () => {
  const e = new LeaseEvidence();
  e.synced(0);
  e.upsert(lease("b", "t1"), 0);
  e.upsert(lease("b", "t2"), 1000);
  e.upsert(lease("b", "t3", ""), 1500); // released on graceful stop
  assert.deepEqual(e.evidence("b", 1600), { state: "expired" });
  e.upsert(lease("c", "t1"), 1600);
  e.upsert(lease("c", "t2"), 1700);
  e.remove(speakerLeaseName("c"), 1800);
  assert.deepEqual(e.evidence("c", 1900), { state: "unknown" });
  e.upsert(lease("d", "t1"), 2000);
  e.upsert(lease("d", "t2"), 3000);
  assert.equal(e.evidence("d", 3000).state, "alive");
  assert.deepEqual(
    e.evidence("d", 3000 + 2 * LEASE_SECONDS * 1000 + 1),
    { state: "unknown" },
    "no API contact",
  );
});

test("malformed or foreign Leases are ignored", () => {
  const e = new LeaseEvidence();
  e.synced(0);
  e.upsert({}, 0);
  e.upsert(
    { metadata: { name: "kube-controller-manager" }, spec: { holderIdentity: "x", renewTime: "t" } },
    0,
  );
  e.upsert({ metadata: { name: speakerLeaseName("e") }, spec: null }, 0);
  e.upsert({ metadata: { name: speakerLeaseName("e") }, spec: { renewTime: "t9" } }, 100);
  assert.deepEqual(e.evidence("e", 200), { state: "expired" }, "no holder: not held");
  assert.deepEqual(e.evidence("kube-controller-manager", 0), { state: "unknown" });
});

test("Lease names fit a DNS subdomain; the body carries holder, duration and renew time", () => {
  assert.equal(speakerLeaseName("node-1"), "signalbox-speaker-node-1");
  const long = speakerLeaseName(`${"a".repeat(250)}.example`);
  assert.ok(long.length <= 253 && /^signalbox-speaker-a+-[0-9a-f]{8}$/.test(long), long);
  assert.notEqual(long, speakerLeaseName(`${"a".repeat(250)}.example2`));
  const l = speakerLease("n1", 0xbeef, "signalbox-system", new Date(0));
  assert.deepEqual(l.spec, {
    holderIdentity: "n1/beef",
    leaseDurationSeconds: 6,
    renewTime: "1970-01-01T00:00:00.000Z",
  });
  assert.equal(l.metadata.labels["signalbox.io/node"], "n1");
});

test("shouldRenewLease: ready, an open port, no error, some address", async () => {
  const { shouldRenewLease } = await import("../../../../src/speaker/l2/lease-evidence.ts");
  const base = {
    ready: true,
    incarnation: 1,
    settings: { intervalMs: 100, holdMs: 350 },
    interfaces: [{ name: "eth0", open: true }],
    members: [],
    addresses: [
      {
        ip: "192.0.2.1",
        pool: "p",
        services: [],
        interfaces: ["eth0"],
        answering: true,
        orphan: false,
        replies: 0,
        gratuitous: 0,
        conflicts: 0,
      },
    ],
    counters: {} as never,
  };
  assert.equal(shouldRenewLease(base), true);
  assert.equal(shouldRenewLease(undefined), false);
  assert.equal(shouldRenewLease({ ...base, ready: false }), false);
  assert.equal(shouldRenewLease({ ...base, error: "eth0: EPERM" }), false);
  assert.equal(shouldRenewLease({ ...base, interfaces: [{ name: "eth0", open: false }] }), false);
  assert.equal(shouldRenewLease({ ...base, addresses: [] }), false);
});
