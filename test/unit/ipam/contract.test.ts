/**
 * The contract with src/config: its parsed pools are assignable to IpamPool (checked by tsc
 * here) and drive the allocator unchanged.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type AddressPool, parseConfig } from "../../../src/config/index.ts";
import { Allocator, type IpamPool } from "../../../src/ipam/index.ts";
import { req, texts } from "./helpers.ts";

const _assignable: (p: AddressPool) => IpamPool = (p) => p;

const yaml = `
address-pools:
- name: default
  protocol: bgp
  addresses:
  - 198.51.100.0/24
  avoid-buggy-ips: true
- name: l2-pool
  protocol: layer2
  auto-assign: false
  addresses:
  - 192.168.1.240-192.168.1.250
  - fd00:1::/64
`;

describe("config → allocator", () => {
  it("allocates from pools parsed from a MetalLB ConfigMap", () => {
    const parsed = parseConfig(yaml);
    if (!parsed.ok) assert.fail(JSON.stringify(parsed.errors));
    const a = new Allocator(parsed.config.addressPools.map(_assignable));
    const first = a.assign(req("ns/a"));
    assert.ok(first.ok);
    assert.deepEqual(texts(first.value.addresses), ["198.51.100.1"]);
    const r = a.assign(req("ns/b", { pool: "l2-pool", families: [6, 4], policy: "RequireDualStack" }));
    assert.ok(r.ok);
    assert.deepEqual(texts(r.value.addresses), ["fd00:1::", "192.168.1.240"]);
    assert.deepEqual(
      a.poolStatus().map((s) => [s.pool, s.prefixes.map(String), s.ipv4.capacity, s.ipv6.capacity]),
      [
        ["default", ["198.51.100.0/24"], 254n, 0n],
        [
          "l2-pool",
          ["192.168.1.240/29", "192.168.1.248/31", "192.168.1.250/32", "fd00:1::/64"],
          11n,
          1n << 64n,
        ],
      ],
    );
  });
});
