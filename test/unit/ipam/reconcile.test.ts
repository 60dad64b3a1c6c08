import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { reconcile, type ServiceLike } from "../../../src/ipam/index.ts";
import { pool, texts } from "./helpers.ts";

function svc(
  name: string,
  ingress: string[] = [],
  annotations: Record<string, string> = {},
  spec = {},
): ServiceLike {
  return {
    metadata: { namespace: "ns", name, annotations },
    spec: { type: "LoadBalancer", ports: [{ port: 80 }], ...spec },
    status: { loadBalancer: { ingress: ingress.map((ip) => ({ ip })) } },
  };
}

const pools = [pool("p", ["10.0.0.0/30"])];
const view = (r: ReturnType<typeof reconcile>) =>
  r.assignments.map((a) => `${a.service}=${texts(a.addresses).join(",")}`);

describe("reconcile: one pure pass over all Services", () => {
  it("restores held IPs before giving new ones, whatever the listing order", () => {
    const services = [svc("new"), svc("old", ["10.0.0.0"]), svc("other", ["10.0.0.2"])];
    const one = reconcile(pools, services);
    const two = reconcile(pools, [...services].reverse());
    assert.deepEqual(view(one), ["ns/new=10.0.0.1", "ns/old=10.0.0.0", "ns/other=10.0.0.2"]);
    assert.deepEqual(view(two), view(one));
  });
  it("is stable: feeding its output back changes nothing", () => {
    const first = reconcile(pools, [
      svc("a"),
      svc("b"),
      svc("c", [], { "metallb.universe.tf/loadBalancerIPs": "10.0.0.3" }),
    ]);
    const back = first.assignments.map((a) =>
      svc(
        a.service.split("/")[1]!,
        texts(a.addresses),
        a.service === "ns/c" ? { "metallb.universe.tf/loadBalancerIPs": "10.0.0.3" } : {},
      ),
    );
    assert.deepEqual(view(reconcile(pools, back)), view(first));
  });
  it("keeps an invalid Service's IPs reserved and reports its errors, leaving others alone", () => {
    const r = reconcile(pools, [
      svc("bad", ["10.0.0.0"], { "metallb.io/loadBalancerIPs": "banana" }),
      svc("good"),
    ]);
    assert.deepEqual(view(r), ["ns/bad=10.0.0.0", "ns/good=10.0.0.1"]);
    assert.deepEqual(
      r.invalid.map((i) => [i.service, i.errors.map((e) => e.code)]),
      [["ns/bad", ["invalid-ip"]]],
    );
  });
  it("reports failures with what the Service keeps, and ignores other classes", () => {
    const r = reconcile(pools, [
      svc("a", ["10.0.0.1"]),
      svc("b", [], { "metallb.io/loadBalancerIPs": "10.0.0.1" }),
      svc("theirs", [], {}, { loadBalancerClass: "example.com/other" }),
    ]);
    assert.deepEqual(view(r), ["ns/a=10.0.0.1"]);
    assert.deepEqual(
      r.failures.map((f) => [f.service, f.failure.reason, f.kept]),
      [["ns/b", "ip-in-use", undefined]],
    );
  });
  it("shares one IP between TCP and UDP Services with the same key", () => {
    const key = { "metallb.universe.tf/allow-shared-ip": "dns" };
    const r = reconcile(pools, [
      svc("dns-tcp", [], key, { ports: [{ port: 53, protocol: "TCP" }] }),
      svc("dns-udp", [], key, { ports: [{ port: 53, protocol: "UDP" }] }),
    ]);
    assert.deepEqual(view(r), ["ns/dns-tcp=10.0.0.0", "ns/dns-udp=10.0.0.0"]);
  });
});
