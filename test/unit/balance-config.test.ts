/**
 * Config for rack balancing (issue #8): `rack-balance` at the top level and
 * `address-pools[].link-bandwidth`. Defaults, valid values, and every invalid value with its
 * path, message and position.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { summarize } from "../../src/config/index.ts";
import { at, expectIssue, invalid, onlyError, pool, valid, yaml } from "./config/helpers.ts";

const peer = yaml`
  peers:
  - peer-address: 10.0.0.1
    peer-asn: 64501
    my-asn: 64500
`;

/** A valid config with a `rack-balance` section made of `lines` (each already indented). */
const withBalance = (lines: string) => `${peer}${pool}rack-balance:\n${lines}`;

/** A bgp pool with `link-bandwidth: value`. */
const poolWith = (value: string, protocol = "bgp") =>
  `${peer}address-pools:\n- name: web\n  protocol: ${protocol}\n  addresses: [192.0.2.0/24]\n  link-bandwidth: ${value}\n`;

describe("rack-balance: defaults and valid values", () => {
  it("absent: zone label, racks from labels, threshold 1.5, transitive; pools do not weight", () => {
    const { config, warnings } = valid(`${peer}${pool}`);
    assert.deepEqual(config.rackBalance, {
      rackLabel: "topology.kubernetes.io/zone",
      racksFrom: "label",
      imbalanceThreshold: 1.5,
      linkBandwidthTransitive: true,
    });
    assert.equal(config.addressPools[0]?.linkBandwidth, "off");
    assert.deepEqual(warnings, []);
  });

  it("an empty section means the defaults", () => {
    const { config } = valid(`${peer}${pool}rack-balance:\n`);
    assert.equal(config.rackBalance.imbalanceThreshold, 1.5);
  });

  it("every key set", () => {
    const { config } = valid(
      withBalance(
        "  rack-label: example.com/rack\n  racks-from: peers\n  imbalance-threshold: 2.25\n  link-bandwidth-transitive: false\n",
      ),
    );
    assert.deepEqual(config.rackBalance, {
      rackLabel: "example.com/rack",
      racksFrom: "peers",
      imbalanceThreshold: 2.25,
      linkBandwidthTransitive: false,
    });
  });

  it("racks-from: each value", () => {
    for (const v of ["label", "peers", "peer-asn"] as const)
      assert.equal(valid(withBalance(`  racks-from: ${v}\n`)).config.rackBalance.racksFrom, v);
  });

  it("thresholds: whole numbers, 1 and the maximum are accepted", () => {
    for (const [text, n] of [
      ["1", 1],
      ["3", 3],
      ["1000", 1000],
      ["1.0e1", 10],
      ["+1.5", 1.5],
    ] as const) {
      const { config } = valid(withBalance(`  imbalance-threshold: ${text}\n`));
      assert.equal(config.rackBalance.imbalanceThreshold, n, text);
    }
  });

  it("link-bandwidth: endpoints on a bgp pool; off written out; the summary says so", () => {
    const { config, warnings } = valid(poolWith("endpoints"));
    assert.equal(config.addressPools[0]?.linkBandwidth, "endpoints");
    assert.match(summarize(config, warnings), /web: bgp, 256 addresses, link-bandwidth endpoints/);
    assert.equal(valid(poolWith("off")).config.addressPools[0]?.linkBandwidth, "off");
    assert.equal(valid(poolWith("off", "layer2")).config.addressPools[0]?.linkBandwidth, "off");
  });
});

describe("rack-balance: invalid values", () => {
  it("must be a mapping", () => {
    const text = `${peer}${pool}rack-balance: [1]\n`;
    onlyError(text, { path: "rack-balance", message: "must be a mapping, not a list", ...at(text, "[1]") });
  });

  it("unknown keys, with a suggestion", () => {
    const text = withBalance("  rack-lable: x\n");
    onlyError(text, {
      path: "rack-balance.rack-lable",
      message: 'unknown key "rack-lable" (did you mean "rack-label"?)',
      ...at(text, "rack-lable"),
    });
  });

  it("rack-label must be a non-empty label key", () => {
    let text = withBalance('  rack-label: ""\n');
    onlyError(text, { path: "rack-balance.rack-label", message: '"" is not a label key: must not be empty' });
    text = withBalance("  rack-label: Bad/zone\n");
    onlyError(text, {
      path: "rack-balance.rack-label",
      message: /^"Bad\/zone" is not a label key: its prefix must be a DNS subdomain/,
      ...at(text, "Bad/zone"),
    });
    text = withBalance('  rack-label: "a zone"\n');
    onlyError(text, { path: "rack-balance.rack-label", message: /^"a zone" is not a label key: / });
    text = withBalance("  rack-label: [a]\n");
    onlyError(text, { path: "rack-balance.rack-label", message: "must be a string, not a list" });
  });

  it("racks-from must be label, peers or peer-asn", () => {
    const text = withBalance("  racks-from: peer\n");
    onlyError(text, {
      path: "rack-balance.racks-from",
      message: 'must be label, peers or peer-asn, not "peer" (did you mean "peers"?)',
      ...at(text, "peer\n"),
    });
    onlyError(withBalance("  racks-from: zone\n"), {
      path: "rack-balance.racks-from",
      message: 'must be label, peers or peer-asn, not "zone"',
    });
  });

  it("imbalance-threshold must be a plain number from 1 to 1000", () => {
    const range = /is out of range: must be 1-1000/;
    for (const [value, message] of [
      ["0.5", /^0\.5 is out of range: must be 1-1000 \(the largest share over the fair share/],
      ["0", range],
      ["1000.5", range],
      ["-2", 'must be a number such as 1.5, not "-2"'],
      ['"1.5"', 'must be a number such as 1.5, not the quoted string "1.5"'],
      [".inf", 'must be a number such as 1.5, not ".inf"'],
      [".nan", 'must be a number such as 1.5, not ".nan"'],
      ["1.5x", 'must be a number such as 1.5, not "1.5x"'],
      ["0x10", 'must be a number such as 1.5, not "0x10"'],
      ["true", 'must be a number such as 1.5, not "true"'],
      ["[2]", "must be a number, not a list or mapping"],
    ] as const) {
      const text = withBalance(`  imbalance-threshold: ${value}\n`);
      const key = at(text, "imbalance-threshold: ");
      const where = { line: key.line, column: key.column + "imbalance-threshold: ".length };
      onlyError(text, { path: "rack-balance.imbalance-threshold", message, ...where });
    }
  });

  it("link-bandwidth-transitive must be a boolean", () => {
    const text = withBalance("  link-bandwidth-transitive: maybe\n");
    onlyError(text, {
      path: "rack-balance.link-bandwidth-transitive",
      message: 'must be true or false, not "maybe"',
      ...at(text, "maybe"),
    });
  });

  it("every problem of the section at once", () => {
    const errors = invalid(
      withBalance("  rack-label: Bad/x\n  racks-from: nodes\n  imbalance-threshold: 0\n"),
    );
    assert.equal(errors.length, 3);
  });
});

describe("address-pools[].link-bandwidth: invalid values", () => {
  it("must be off or endpoints", () => {
    const text = poolWith("endpoint");
    onlyError(text, {
      path: "address-pools[0].link-bandwidth",
      message: 'must be off or endpoints, not "endpoint" (did you mean "endpoints"?)',
      ...at(text, "endpoint\n"),
    });
    onlyError(poolWith("true"), {
      path: "address-pools[0].link-bandwidth",
      message: 'must be off or endpoints, not "true"',
    });
    onlyError(poolWith("[endpoints]"), {
      path: "address-pools[0].link-bandwidth",
      message: "must be a string, not a list",
    });
  });

  it("is for bgp pools only", () => {
    const text = poolWith("endpoints", "layer2");
    const errors = invalid(text);
    expectIssue(errors, {
      path: "address-pools[0].link-bandwidth",
      message: /^is only for bgp pools: layer-2 addresses are answered by one node/,
      ...at(text, "endpoints"),
    });
    assert.equal(errors.length, 1);
  });
});
