/** `address-pools[].interfaces` (signalbox addition, layer2 pools): valid forms and every invalid value. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { onlyError, valid, yaml } from "./helpers.ts";

const l2pool = (interfaces: string) =>
  `address-pools:\n- name: a\n  protocol: layer2\n  addresses: [10.0.0.0/24]\n  interfaces: ${interfaces}\n`;

describe("address-pools[].interfaces", () => {
  it("unset means found from the subnets: an empty list in the Config", () => {
    const { config } = valid("address-pools: [{name: a, protocol: layer2, addresses: [10.0.0.0/24]}]\n");
    assert.deepEqual(config.addressPools[0]!.interfaces, []);
  });

  it("names kept in the order written", () => {
    const { config, warnings } = valid(l2pool("[eth0, bond0.100, enp3s0f1]"));
    assert.deepEqual(config.addressPools[0]!.interfaces, ["eth0", "bond0.100", "enp3s0f1"]);
    assert.deepEqual(warnings, []);
  });

  it("only for layer2 pools", () => {
    const text = yaml`
      address-pools:
      - name: a
        protocol: bgp
        addresses: [10.0.0.0/24]
        interfaces: [eth0]
    `;
    onlyError(text, {
      path: "address-pools[0].interfaces",
      message: "is only for layer2 pools, and this pool is bgp",
      line: 5,
      column: 3,
    });
  });

  it("an empty list is an error, not 'nowhere'", () => {
    onlyError(l2pool("[]"), {
      path: "address-pools[0].interfaces",
      message: /must name at least one interface/,
    });
  });

  it("longer than 15 octets (IFNAMSIZ)", () => {
    onlyError(l2pool("[eth0, a-very-long-ifname0]"), {
      path: "address-pools[0].interfaces[1]",
      message: '"a-very-long-ifname0" is longer than 15 octets (Linux IFNAMSIZ)',
      line: 5,
      column: 22,
    });
  });

  it("'/' or white space", () => {
    onlyError(l2pool('["eth/0"]'), {
      path: "address-pools[0].interfaces[0]",
      message: /contains '\/' or white space/,
    });
    onlyError(l2pool('["eth 0"]'), {
      path: "address-pools[0].interfaces[0]",
      message: /contains '\/' or white space/,
    });
  });

  it(". and ..", () => {
    onlyError(l2pool('[".."]'), {
      path: "address-pools[0].interfaces[0]",
      message: '".." is not an interface name',
    });
  });

  it("an empty name", () => {
    onlyError(l2pool('[""]'), { path: "address-pools[0].interfaces[0]", message: "must not be empty" });
  });

  it("a duplicate", () => {
    onlyError(l2pool("[eth0, eth0]"), {
      path: "address-pools[0].interfaces[1]",
      message: 'duplicate interface "eth0"',
    });
  });

  it("not a list, or an entry that is not a string", () => {
    onlyError(l2pool("eth0"), { path: "address-pools[0].interfaces", message: /must be a list/ });
    onlyError(l2pool("[{name: eth0}]"), {
      path: "address-pools[0].interfaces[0]",
      message: /must be a string/,
    });
  });
});
