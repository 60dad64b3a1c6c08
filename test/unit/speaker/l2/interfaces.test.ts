/** Interface choice (src/speaker/l2/interfaces.ts): every skip reason, and where an address is answered. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { IpAddress } from "../../../../protocol/ip/index.ts";
import type { LinkInfo } from "../../../../src/platform/links.ts";
import { chooseLinks, interfacesFor } from "../../../../src/speaker/l2/interfaces.ts";

const link = (name: string, o: Partial<LinkInfo> = {}): LinkInfo => ({
  name,
  index: 10 + name.length,
  mac: "02:00:00:00:00:01",
  flags: 0x1003, // UP | BROADCAST | MULTICAST
  operstate: "up",
  enslaved: false,
  cidrs: [],
  ...o,
});

test("skip reasons: loopback, virtual, not Ethernet, down, NOARP, enslaved", () => {
  const { usable, skipped } = chooseLinks([
    link("lo", { flags: 0x49, mac: "00:00:00:00:00:00" }),
    link("docker0"),
    link("cali1234"),
    link("kube-ipvs0"),
    link("vethab12"),
    link("wg0", { mac: undefined }),
    link("eth1", { flags: 0x1002 }), // administratively down
    link("eth2", { operstate: "down" }), // no carrier
    link("eth3", { flags: 0x1083 }), // NOARP
    link("eth4", { enslaved: true }), // bond slave
    link("bond0"),
    link("eth0", { operstate: "unknown" }), // unknown counts as up (many virtual NICs)
  ]);
  assert.deepEqual(
    usable.map((p) => p.name),
    ["bond0", "eth0"],
  );
  assert.deepEqual(Object.fromEntries(skipped.map((s) => [s.name, s.reason])), {
    lo: "loopback",
    docker0: "virtual",
    cali1234: "virtual",
    "kube-ipvs0": "virtual",
    vethab12: "virtual",
    wg0: "notEthernet",
    eth1: "down",
    eth2: "down",
    eth3: "noarp",
    eth4: "enslaved",
  });
});

test("where an address is answered: the pool's list, else its subnet, else everywhere", () => {
  const { usable } = chooseLinks([
    link("eth0", { cidrs: ["192.168.1.10/24", "fe80::1/64"] }),
    link("eth1", { cidrs: ["10.0.0.10/24", "fd00:1::10/64"] }),
    link("eth2"),
  ]);
  const ip = IpAddress.of;
  assert.deepEqual(interfacesFor(ip("192.168.1.200"), [], usable), ["eth0"]);
  assert.deepEqual(interfacesFor(ip("fd00:1::200"), [], usable), ["eth1"]);
  assert.deepEqual(interfacesFor(ip("203.0.113.7"), [], usable), ["eth0", "eth1", "eth2"]);
  assert.deepEqual(interfacesFor(ip("192.168.1.200"), ["eth2"], usable), ["eth2"], "config wins over subnet");
  assert.deepEqual(
    interfacesFor(ip("192.168.1.200"), ["eth9"], usable),
    [],
    "listed but not usable: nowhere",
  );
});
