/**
 * The controller's pure decisions: which Services get which status writes, which problems are
 * told, how a type change releases, and how pending writes cover a lagging informer.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ServiceLike } from "../../../src/cluster/index.ts";
import { parseConfig } from "../../../src/config/index.ts";
import { applyPending, decide, type Pending, POOL_ANNOTATION } from "../../../src/controller/decide.ts";

function config(text: string) {
  const r = parseConfig(text);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.config;
}

const CONFIG = config(`
address-pools:
- name: blue
  protocol: bgp
  addresses: [192.0.2.0/30]
`);

function svc(
  name: string,
  opts: {
    type?: string;
    ips?: string[];
    annotations?: Record<string, string>;
    rv?: string;
    uid?: string;
  } = {},
): ServiceLike {
  return {
    metadata: {
      name,
      namespace: "apps",
      ...(opts.annotations ? { annotations: opts.annotations } : {}),
      ...(opts.rv ? { resourceVersion: opts.rv } : {}),
      ...(opts.uid ? { uid: opts.uid } : {}),
    },
    spec: { type: opts.type ?? "LoadBalancer", ports: [{ port: 80, protocol: "TCP" }] },
    ...(opts.ips ? { status: { loadBalancer: { ingress: opts.ips.map((ip) => ({ ip })) } } } : {}),
  };
}

describe("decide", () => {
  it("allocates the lowest free addresses in key order and writes status with the pool annotation", () => {
    const plan = decide(CONFIG, [svc("b"), svc("a")]);
    assert.deepEqual(
      plan.writes.map((w) => [w.service, w.ingress, w.pool, w.why]),
      [
        ["apps/a", ["192.0.2.0"], "blue", "allocated"],
        ["apps/b", ["192.0.2.1"], "blue", "allocated"],
      ],
    );
    assert.equal(plan.pools[0]?.ipv4.inUse, 2);
  });

  it("writes nothing for a Service whose status and annotation are already right", () => {
    const plan = decide(CONFIG, [
      svc("a", { ips: ["192.0.2.3"], annotations: { [POOL_ANNOTATION]: "blue" } }),
    ]);
    assert.deepEqual(plan.writes, []);
    assert.deepEqual(plan.allocations, [{ service: "apps/a", ips: ["192.0.2.3"], pool: "blue" }]);
  });

  it("adds only the annotation when the status is right", () => {
    const plan = decide(CONFIG, [svc("a", { ips: ["192.0.2.3"] })]);
    assert.equal(plan.writes.length, 1);
    assert.equal(plan.writes[0]?.statusChanged, false);
    assert.equal(plan.writes[0]?.pool, "blue");
  });

  it("held addresses are kept whatever the key order: a new Service never takes one", () => {
    const plan = decide(CONFIG, [
      svc("z", { ips: ["192.0.2.0"], annotations: { [POOL_ANNOTATION]: "blue" } }),
      svc("a"),
    ]);
    assert.deepEqual(
      plan.writes.map((w) => [w.service, w.ingress]),
      [["apps/a", ["192.0.2.1"]]],
    );
  });

  it("tells an exhausted pool as AllocationFailed with the pool's name", () => {
    const plan = decide(
      CONFIG,
      ["a", "b", "c", "d", "e"].map((n) => svc(n)),
    );
    assert.equal(plan.writes.length, 4);
    assert.deepEqual(
      plan.problems.map((p) => [p.service, p.reason]),
      [["apps/e", "AllocationFailed"]],
    );
    assert.match(plan.problems[0]!.message, /no free IPv4 address in pool blue/);
  });

  it("tells an invalid annotation as InvalidRequest naming the field, and writes nothing for it", () => {
    const plan = decide(CONFIG, [
      svc("a", { annotations: { "metallb.universe.tf/loadBalancerIPs": "not-an-ip" } }),
    ]);
    assert.deepEqual(plan.writes, []);
    assert.equal(plan.problems[0]?.reason, "InvalidRequest");
    assert.match(plan.problems[0]!.message, /loadBalancerIPs/);
  });

  it("releases what it wrote when a Service stops being a LoadBalancer, and leaves others' alone", () => {
    const ours = svc("a", {
      type: "ClusterIP",
      ips: ["192.0.2.0"],
      annotations: { [POOL_ANNOTATION]: "blue" },
    });
    const theirs = svc("b", { type: "ClusterIP", ips: ["203.0.113.9"] });
    const plan = decide(CONFIG, [ours, theirs]);
    assert.deepEqual(
      plan.writes.map((w) => [w.service, w.ingress, w.pool, w.why]),
      [["apps/a", [], null, "released"]],
    );
  });

  it("leaves Services of another loadBalancerClass alone", () => {
    const other: ServiceLike = {
      ...svc("a"),
      spec: { type: "LoadBalancer", loadBalancerClass: "x.io/other" },
    };
    assert.deepEqual(decide(CONFIG, [other]).writes, []);
    assert.equal(decide(CONFIG, [other], { loadBalancerClass: "x.io/other" }).writes.length, 1);
  });
});

describe("applyPending", () => {
  const p: Pending = { ingress: ["192.0.2.0"], pool: "blue", resourceVersion: "120", uid: "u1" };

  it("lays our write over an informer copy older than it", () => {
    const { services, pending } = applyPending(
      [svc("a", { rv: "100", uid: "u1" })],
      new Map([["apps/a", p]]),
    );
    assert.equal(services[0]?.status?.loadBalancer?.ingress?.[0]?.ip, "192.0.2.0");
    assert.equal(services[0]?.metadata.annotations?.[POOL_ANNOTATION], "blue");
    assert.equal(pending.size, 1);
    // With the overlay, the next decision writes nothing and gives the address to nobody else.
    const plan = decide(CONFIG, [...services, svc("b")]);
    assert.deepEqual(
      plan.writes.map((w) => [w.service, w.ingress]),
      [["apps/b", ["192.0.2.1"]]],
    );
  });

  it("keeps the overlay of a write still queued, whatever the informer's version", () => {
    const queued: Pending = { ...p, resourceVersion: "" };
    const r = applyPending([svc("a", { rv: "999", uid: "u1" })], new Map([["apps/a", queued]]));
    assert.equal(r.pending.size, 1);
    assert.equal(r.services[0]?.status?.loadBalancer?.ingress?.[0]?.ip, "192.0.2.0");
  });

  it("drops the overlay once the informer is as new, when the Service is gone, or was recreated", () => {
    assert.equal(
      applyPending([svc("a", { rv: "120", uid: "u1" })], new Map([["apps/a", p]])).pending.size,
      0,
    );
    assert.equal(
      applyPending([svc("a", { rv: "121", uid: "u1" })], new Map([["apps/a", p]])).pending.size,
      0,
    );
    assert.equal(applyPending([], new Map([["apps/a", p]])).pending.size, 0);
    const recreated = applyPending([svc("a", { rv: "5", uid: "u2" })], new Map([["apps/a", p]]));
    assert.equal(recreated.pending.size, 0);
    assert.equal(recreated.services[0]?.status, undefined);
  });
});
