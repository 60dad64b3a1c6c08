import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type ServiceLike, type ServiceRequest, serviceRequest } from "../../../src/ipam/index.ts";
import { ip, texts } from "./helpers.ts";

function svc(
  spec: NonNullable<ServiceLike["spec"]> = {},
  annotations: Record<string, string> = {},
  ingress: string[] = [],
): ServiceLike {
  return {
    metadata: { namespace: "ns", name: "web", annotations },
    spec: { type: "LoadBalancer", ...spec },
    status: { loadBalancer: { ingress: ingress.map((i) => ({ ip: i })) } },
  };
}

function request(r: ServiceRequest) {
  if (r.kind !== "request") assert.fail(`expected a request, got ${JSON.stringify(r)}`);
  return r.request;
}

function codes(r: ServiceRequest): string[] {
  if (r.kind !== "invalid") assert.fail(`expected invalid, got ${r.kind}`);
  return r.errors.map((e) => `${e.field}: ${e.code}`);
}

describe("serviceRequest", () => {
  it("maps a plain LoadBalancer Service to an IPv4 SingleStack request", () => {
    const r = request(serviceRequest(svc()));
    assert.deepEqual(r, {
      service: "ns/web",
      families: [4],
      policy: "SingleStack",
      addresses: [],
      pool: undefined,
      sharing: undefined,
    });
  });
  it("skips non-LoadBalancer Services and other classes", () => {
    assert.equal(serviceRequest(svc({ type: "ClusterIP" })).kind, "skip");
    const classed = svc({ loadBalancerClass: "example.com/lb" });
    assert.deepEqual(serviceRequest(classed).kind === "skip" && serviceRequest(classed), {
      kind: "skip",
      service: "ns/web",
      why: "other-class",
      held: [],
    });
    assert.equal(serviceRequest(classed, { loadBalancerClass: "example.com/lb" }).kind, "request");
    assert.equal(serviceRequest(svc(), { loadBalancerClass: "example.com/lb" }).kind, "skip");
  });
  it("reads requested IPs from spec.loadBalancerIP and from each annotation spelling", () => {
    assert.deepEqual(texts(request(serviceRequest(svc({ loadBalancerIP: "10.0.0.5" }))).addresses), [
      "10.0.0.5",
    ]);
    for (const name of ["metallb.universe.tf", "metallb.io", "signalbox.io"]) {
      const r = request(
        serviceRequest(
          svc(
            { ipFamilies: ["IPv4", "IPv6"], ipFamilyPolicy: "RequireDualStack" },
            { [`${name}/loadBalancerIPs`]: "10.0.0.5, fd00::5" },
          ),
        ),
      );
      assert.deepEqual(texts(r.addresses), ["10.0.0.5", "fd00::5"]);
      assert.deepEqual(r.families, [4, 6]);
    }
  });
  it("reads the pool and the sharing key, with ports and the backend key", () => {
    const r = request(
      serviceRequest(
        svc(
          {
            ports: [{ port: 53, protocol: "UDP" }, { port: 53 }],
            externalTrafficPolicy: "Local",
            selector: { tier: "dns", app: "coredns" },
          },
          { "metallb.universe.tf/address-pool": "edge", "signalbox.io/allow-shared-ip": "dns" },
        ),
      ),
    );
    assert.equal(r.pool, "edge");
    assert.deepEqual(r.sharing, {
      key: "dns",
      backend: "Local:app=coredns,tier=dns",
      ports: [
        { protocol: "UDP", port: 53 },
        { protocol: "TCP", port: 53 },
      ],
    });
    const cluster = request(serviceRequest(svc({}, { "metallb.io/allow-shared-ip": "k" })));
    assert.equal(cluster.sharing?.backend, "Cluster");
  });
  it("accepts several spellings that agree, and treats empty values as absent", () => {
    const r = request(
      serviceRequest(
        svc(
          {},
          {
            "metallb.universe.tf/address-pool": "a",
            "signalbox.io/address-pool": "a",
            "metallb.io/allow-shared-ip": "",
          },
        ),
      ),
    );
    assert.equal(r.pool, "a");
    assert.equal(r.sharing, undefined);
  });
  it("derives families from ipFamilies and ipFamilyPolicy", () => {
    const fam = (spec: NonNullable<ServiceLike["spec"]>) => {
      const r = request(serviceRequest(svc(spec)));
      return [r.families, r.policy];
    };
    assert.deepEqual(fam({ ipFamilies: ["IPv6"] }), [[6], "SingleStack"]);
    assert.deepEqual(fam({ ipFamilies: ["IPv6", "IPv4"], ipFamilyPolicy: "PreferDualStack" }), [
      [6, 4],
      "PreferDualStack",
    ]);
    assert.deepEqual(fam({ ipFamilyPolicy: "RequireDualStack" }), [[4, 6], "RequireDualStack"]);
    assert.deepEqual(fam({ loadBalancerIP: "fd00::1" }), [[6], "SingleStack"]);
  });
  it("reads held addresses from status ingress, skipping hostnames and junk", () => {
    const s: ServiceLike = {
      ...svc(),
      status: {
        loadBalancer: {
          ingress: [{ ip: "10.0.0.1" }, { hostname: "lb.example" }, { ip: "nope" }, { ip: "fd00::1" }],
        },
      },
    };
    const r = serviceRequest(s);
    assert.equal(r.kind, "request");
    assert.deepEqual(texts(r.kind === "request" ? r.held : []), ["10.0.0.1", "fd00::1"]);
  });
  it("returns every error at once, with its field, and never throws", () => {
    const r = serviceRequest(
      svc(
        {
          loadBalancerIP: "10.0.0.1",
          ipFamilyPolicy: "Sometimes",
          ipFamilies: ["IPv4", "IPv5"],
          ports: [{ port: 0 }],
        },
        {
          "metallb.universe.tf/loadBalancerIPs": "10.0.0.1,banana,10.0.0.2,fd00::1",
          "metallb.io/address-pool": "a",
          "signalbox.io/address-pool": "b",
        },
      ),
    );
    assert.deepEqual(codes(r), [
      "spec.ipFamilyPolicy: invalid-family-policy",
      "spec.ipFamilies[1]: invalid-ip-family",
      "metadata.annotations[metallb.universe.tf/loadBalancerIPs]: ip-and-annotation",
      "metadata.annotations[metallb.universe.tf/loadBalancerIPs][1]: invalid-ip",
      "metadata.annotations[metallb.universe.tf/loadBalancerIPs][2]: duplicate-family",
      "metadata.annotations[metallb.universe.tf/loadBalancerIPs][3]: family-mismatch",
      "metadata.annotations[metallb.universe.tf/loadBalancerIPs]: too-many-ips",
      "metadata.annotations[metallb.io/address-pool]: conflicting-annotations",
      "spec.ports[0].port: invalid-port",
    ]);
  });
  it("checks the IP count against the family policy", () => {
    assert.deepEqual(codes(serviceRequest(svc({}, { "metallb.io/loadBalancerIPs": "10.0.0.1,fd00::1" }))), [
      "metadata.annotations[metallb.io/loadBalancerIPs]: policy-mismatch",
    ]);
    assert.deepEqual(
      codes(serviceRequest(svc({ ipFamilyPolicy: "RequireDualStack", loadBalancerIP: "10.0.0.1" }))),
      ["spec.loadBalancerIP: policy-mismatch"],
    );
    assert.deepEqual(codes(serviceRequest(svc({ ipFamilies: ["IPv4", "IPv6"] }))), [
      "spec.ipFamilies: policy-mismatch",
    ]);
  });
  it("gives an invalid Service a restore entry so its held IPs stay reserved", () => {
    const r = serviceRequest(
      svc({ loadBalancerIP: "banana" }, { "metallb.io/allow-shared-ip": "k" }, ["10.0.0.9"]),
    );
    assert.equal(r.kind, "invalid");
    if (r.kind !== "invalid") return;
    assert.deepEqual(r.restore.held, [ip("10.0.0.9")]);
    assert.equal(r.restore.request.sharing?.key, "k");
    assert.deepEqual(r.restore.request.addresses, []);
  });
  it("survives malformed JSON shapes", () => {
    const weird = {
      metadata: { name: "x", annotations: null },
      spec: {
        type: "LoadBalancer",
        ports: "80",
        ipFamilies: "IPv4",
        selector: null,
        externalTrafficPolicy: "Local",
      },
      status: { loadBalancer: { ingress: [null] } },
    } as unknown as ServiceLike;
    const r = request(serviceRequest(weird));
    assert.equal(r.service, "default/x");
  });
});
