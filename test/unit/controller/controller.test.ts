/**
 * The controller's runtime with an in-memory writer: only the leader writes, a failed write is
 * retried, an invalid config keeps the last good one and is told on the ConfigMap, and a
 * problem is told once.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ClusterSnapshot, ServiceLike } from "../../../src/cluster/index.ts";
import type { ClusterWriter, EventSpec } from "../../../src/cluster/kubernetes/index.ts";
import { Controller } from "../../../src/controller/controller.ts";
import { silentLogger } from "../../../src/observe/logger.ts";

class FakeWriter implements ClusterWriter {
  writes: {
    name: string;
    ingress: readonly string[];
    annotations?: Readonly<Record<string, string | null>>;
  }[] = [];
  events: EventSpec[] = [];
  failNext = 0;
  #rv = 100;
  async patchServiceStatus(
    _ns: string,
    name: string,
    ingress: readonly string[],
    annotations?: Readonly<Record<string, string | null>>,
  ): Promise<string> {
    if (this.failNext > 0) {
      this.failNext--;
      throw Object.assign(new Error("Internal Server Error"), { code: 500 });
    }
    this.writes.push({ name, ingress, ...(annotations ? { annotations } : {}) });
    return String(this.#rv++);
  }
  event(e: EventSpec): void {
    this.events.push(e);
  }
}

const GOOD = "address-pools:\n- name: blue\n  protocol: bgp\n  addresses: [192.0.2.0/31]\n";
const svc = (name: string): ServiceLike => ({
  metadata: { name, namespace: "apps", resourceVersion: "1" },
  spec: { type: "LoadBalancer", ports: [{ port: 80, protocol: "TCP" }] },
});
const snap = (config: string, services: ServiceLike[]): ClusterSnapshot => ({
  configMap: { text: config, origin: "signalbox-system/config" },
  services,
  nodes: [],
  endpointSlices: [],
});

function controller(writer: FakeWriter) {
  return new Controller({
    logger: silentLogger,
    writer,
    retryMs: 10,
    configMap: { namespace: "signalbox-system", name: "config" },
  });
}

describe("Controller", () => {
  it("a standby decides but never writes; the leader writes once per Service", async () => {
    const w = new FakeWriter();
    const c = controller(w);
    c.update(snap(GOOD, [svc("a")]));
    await c.idle();
    assert.equal(w.writes.length, 0);
    assert.deepEqual(c.status().services, [{ service: "apps/a", ips: ["192.0.2.0"], pool: "blue" }]);
    c.setLeader(true);
    await c.idle();
    assert.deepEqual(w.writes, [
      { name: "a", ingress: ["192.0.2.0"], annotations: { "signalbox.io/ip-allocated-from-pool": "blue" } },
    ]);
    // The informer has not shown the write yet: the next pass must not write again.
    c.update(snap(GOOD, [svc("a"), svc("b")]));
    await c.idle();
    assert.deepEqual(
      w.writes.map((x) => [x.name, x.ingress]),
      [
        ["a", ["192.0.2.0"]],
        ["b", ["192.0.2.1"]],
      ],
    );
    assert.equal(w.events.filter((e) => e.reason === "IPAllocated").length, 2);
    c.stop();
  });

  it("retries a failed write", async () => {
    const w = new FakeWriter();
    w.failNext = 1;
    const c = controller(w);
    c.setLeader(true);
    c.update(snap(GOOD, [svc("a")]));
    await c.idle();
    assert.equal(c.status().writes.failed, 1);
    // The retry comes `retryMs` (10 ms) later; wait for it, bounded.
    for (let i = 0; i < 200 && w.writes.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    await c.idle();
    assert.deepEqual(
      w.writes.map((x) => x.name),
      ["a"],
    );
    c.stop();
  });

  it("an invalid config keeps the last good one, is told on the ConfigMap, and allocation goes on", async () => {
    const w = new FakeWriter();
    const c = controller(w);
    c.setLeader(true);
    c.update(snap(GOOD, []));
    c.update(snap("address-pools:\n- name: blue\n  protocol: nope\n", [svc("a")]));
    await c.idle();
    const st = c.status().config;
    assert.equal(st.state, "invalid");
    assert.ok(st.state === "invalid" && st.running === "last-good" && /protocol/.test(st.errors.join()));
    const ev = w.events.find((e) => e.reason === "ConfigInvalid");
    assert.equal(ev?.regarding.kind, "ConfigMap");
    assert.equal(ev?.type, "Warning");
    assert.deepEqual(
      w.writes.map((x) => x.ingress),
      [["192.0.2.0"]],
    );
    assert.deepEqual(c.configHealth(), { loaded: true, stale: true, rejections: 1 });
    c.stop();
  });

  it("tells an allocation failure once, not on every pass", async () => {
    const w = new FakeWriter();
    const c = controller(w);
    c.setLeader(true);
    const many = ["a", "b", "c"].map(svc);
    c.update(snap(GOOD, many));
    await c.idle();
    c.update(snap(GOOD, many));
    await c.idle();
    assert.equal(w.events.filter((e) => e.reason === "AllocationFailed").length, 1);
    assert.equal(c.status().problems[0]?.service, "apps/c");
    c.stop();
  });
});

describe("Controller events about announcements", () => {
  it("the leader tells who announces each Service and warns about uneven racks, once", async () => {
    const w = new FakeWriter();
    const c = new Controller({ logger: silentLogger, writer: w, tellDelayMs: 5 });
    c.setLeader(true);
    const config = `peers:
- peer-address: 10.0.0.1
  peer-asn: 64512
  my-asn: 64513
address-pools:
- name: blue
  protocol: bgp
  addresses: [192.0.2.0/31]
`;
    const zone = (name: string, z: string) => ({
      metadata: { name, labels: { "topology.kubernetes.io/zone": z } },
    });
    const web: ServiceLike = {
      metadata: { name: "web", namespace: "apps", resourceVersion: "9" },
      spec: { type: "LoadBalancer", ports: [{ port: 80, protocol: "TCP" }] },
      status: { loadBalancer: { ingress: [{ ip: "192.0.2.0" }] } },
    };
    const s: ClusterSnapshot = {
      ...snap(config, [web]),
      nodes: [zone("a", "r1"), zone("b", "r2"), zone("c", "r2"), zone("d", "r2"), zone("e", "r2")],
    };
    c.update(s);
    for (let i = 0; i < 200 && !w.events.some((e) => e.reason === "UnevenECMP"); i++)
      await new Promise((r) => setTimeout(r, 10));
    const announced = w.events.filter((e) => e.reason === "Announced");
    assert.deepEqual(
      announced.map((e) => [e.regarding.name, e.message]),
      [["web", "192.0.2.0 announced over BGP by a, b, c, d, e"]],
    );
    const uneven = w.events.filter((e) => e.reason === "UnevenECMP");
    assert.equal(uneven.length, 1);
    assert.equal(uneven[0]?.type, "Warning");
    assert.match(
      uneven[0]!.message,
      /rack r1: 1 node announces and takes 50% of traffic; rack r2: 4 nodes take 12\.5% each/,
    );
    // Nothing new: nothing told again.
    c.update({ ...s });
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(w.events.filter((e) => e.reason === "UnevenECMP" || e.reason === "Announced").length, 2);
    c.stop();
  });
});
