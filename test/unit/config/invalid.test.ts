/** Invalid configs: every MetalLB rule, each error with its path, message, line and column. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatIssue } from "../../../src/config/index.ts";
import { at, expectIssue, invalid, onlyError, pool, yaml } from "./helpers.ts";

/** One peer (flow style fields appended) plus a valid pool. */
const peerWith = (fields: string) =>
  `peers:\n- peer-address: 10.0.0.1\n  peer-asn: 64501\n  my-asn: 64500\n${fields}${pool}`;

describe("peers", () => {
  it("peer-address, peer-asn and my-asn are required", () => {
    const text = `peers:\n- peer-port: 1790\n${pool}`;
    const errors = invalid(text);
    for (const k of ["peer-address", "peer-asn", "my-asn"])
      expectIssue(errors, { path: `peers[0].${k}`, message: `${k} is required`, line: 2, column: 3 });
    assert.equal(errors.length, 3);
  });

  it("peer-address must be an IP", () => {
    const text = `peers:\n- peer-address: 10.0.0.256\n  peer-asn: 1\n  my-asn: 2\n${pool}`;
    onlyError(text, {
      path: "peers[0].peer-address",
      message: '"10.0.0.256" is not an IP address',
      line: 2,
      column: 17,
    });
  });

  it("ASNs are non-zero 32-bit numbers", () => {
    const text = `peers:\n- peer-address: 10.0.0.1\n  peer-asn: 4294967296\n  my-asn: 0\n${pool}`;
    const errors = invalid(text);
    expectIssue(errors, {
      path: "peers[0].peer-asn",
      message: "4294967296 is out of range: must be 1-4294967295",
      line: 3,
      column: 13,
    });
    expectIssue(errors, {
      path: "peers[0].my-asn",
      message: "0 is out of range: must be 1-4294967295",
      line: 4,
      column: 11,
    });
  });

  it("an ASN must be a number, not a quoted string (go-yaml into uint32)", () => {
    const text = `peers:\n- peer-address: 10.0.0.1\n  peer-asn: "64500"\n  my-asn: 1.5\n${pool}`;
    const errors = invalid(text);
    expectIssue(errors, {
      path: "peers[0].peer-asn",
      message: 'must be a whole number, not the quoted string "64500"',
    });
    expectIssue(errors, {
      path: "peers[0].my-asn",
      message: 'must be a whole number, not "1.5"',
      line: 4,
      column: 11,
    });
  });

  it("peer-port is 16 bits", () => {
    const text = peerWith("  peer-port: 65536\n");
    onlyError(text, {
      path: "peers[0].peer-port",
      message: "65536 is out of range: must be 0-65535",
      line: 5,
      column: 14,
    });
  });

  it("hold-time must be 0 or at least 3s (after truncation)", () => {
    const text = peerWith("  hold-time: 2.9s\n");
    onlyError(text, {
      path: "peers[0].hold-time",
      message: "2s is too short: must be 0 or at least 3s (RFC 4271 §4.2)",
      line: 5,
      column: 14,
    });
    onlyError(peerWith("  hold-time: -10s\n"), { path: "peers[0].hold-time", message: /too short/ });
  });

  it("hold-time must be a Go duration: a bare number has no unit", () => {
    const text = peerWith("  hold-time: 90\n");
    onlyError(text, {
      path: "peers[0].hold-time",
      message: '"90" is not a duration (missing unit (ns, us, ms, s, m or h); e.g. 90s or 1m30s)',
      line: 5,
      column: 14,
    });
    onlyError(peerWith("  hold-time: 90 s\n"), { path: "peers[0].hold-time", message: /unknown unit " s"/ });
    onlyError(peerWith("  hold-time: 1d\n"), { path: "peers[0].hold-time", message: /unknown unit "d"/ });
  });

  it("hold-time fits the 16-bit OPEN field", () => {
    onlyError(peerWith("  hold-time: 20h\n"), {
      path: "peers[0].hold-time",
      message: /too long: at most 65535s/,
    });
  });

  it("keepalive-time must not exceed hold-time", () => {
    const text = peerWith("  hold-time: 9s\n  keepalive-time: 10s\n");
    onlyError(text, {
      path: "peers[0].keepalive-time",
      message: "10s is longer than hold-time 9s",
      line: 6,
      column: 19,
    });
    onlyError(peerWith("  hold-time: 0s\n  keepalive-time: 1s\n"), {
      path: "peers[0].keepalive-time",
      message: "1s is longer than hold-time 0s",
    });
  });

  it("ebgp-multihop is invalid for iBGP", () => {
    const text = `peers:\n- peer-address: 10.0.0.1\n  peer-asn: 64500\n  my-asn: 64500\n  ebgp-multihop: true\n${pool}`;
    onlyError(text, {
      path: "peers[0].ebgp-multihop",
      message: "is only for eBGP peers, and this peer is iBGP (peer-asn = my-asn = 64500)",
      line: 5,
      column: 18,
    });
  });

  it("ebgp-multihop must be a boolean", () => {
    onlyError(peerWith('  ebgp-multihop: "true"\n'), {
      path: "peers[0].ebgp-multihop",
      message: 'must be true or false, not "true"',
    });
  });

  it("ttl-security must be a boolean", () => {
    onlyError(peerWith('  ttl-security: "true"\n'), {
      path: "peers[0].ttl-security",
      message: 'must be true or false, not "true"',
    });
    onlyError(peerWith("  ttl-security: 255\n"), { path: "peers[0].ttl-security", message: /true or false/ });
    onlyError(peerWith("  ttl-security: [true]\n"), { path: "peers[0].ttl-security", message: /not a list/ });
  });

  it("ttl-security and ebgp-multihop exclude each other (RFC 5082)", () => {
    onlyError(peerWith("  ebgp-multihop: true\n  ttl-security: true\n"), {
      path: "peers[0].ttl-security",
      message:
        "cannot be combined with ebgp-multihop: TTL security (RFC 5082) accepts only directly connected peers",
      line: 6,
      column: 17,
    });
  });

  it("router-id is an IPv4 address, not 0.0.0.0", () => {
    onlyError(peerWith("  router-id: 2001:db8::1\n"), {
      path: "peers[0].router-id",
      message: "2001:db8::1 is not an IPv4 address: the BGP identifier is 32 bits (RFC 4271 §4.2)",
      line: 5,
      column: 14,
    });
    onlyError(peerWith("  router-id: 0.0.0.0\n"), { path: "peers[0].router-id", message: /RFC 6286/ });
    onlyError(peerWith("  router-id: router1\n"), {
      path: "peers[0].router-id",
      message: '"router1" is not an IP address',
    });
  });

  it("source-address must be an IP", () => {
    onlyError(peerWith("  source-address: 10.0.0.1/24\n"), {
      path: "peers[0].source-address",
      message: '"10.0.0.1/24" is not an IP address',
      line: 5,
      column: 19,
    });
  });

  it("bfd-profile must name an entry of bfd-profiles", () => {
    const text = yaml`
      peers:
      - peer-address: 10.0.0.1
        peer-asn: 1
        my-asn: 2
        bfd-profile: fast
      bfd-profiles:
      - name: fast1
      address-pools: [{name: a, protocol: layer2, addresses: [10.0.0.0/30]}]
    `;
    onlyError(text, {
      path: "peers[0].bfd-profile",
      message: 'BFD profile "fast" is not defined in bfd-profiles (did you mean "fast1"?)',
      line: 5,
      column: 16,
    });
    onlyError(peerWith("  bfd-profile: x\n"), {
      path: "peers[0].bfd-profile",
      message: 'BFD profile "x" is not defined in bfd-profiles',
    });
  });

  it("a byte-identical duplicate peer is rejected", () => {
    const text =
      yaml`
      peers:
      - {peer-address: 10.0.0.1, peer-asn: 1, my-asn: 2, password: s}
      - {peer-address: 10.0.0.1, peer-asn: 1, my-asn: 2, password: s, hold-time: 90s}
      - {peer-address: 10.0.0.1, peer-asn: 1, my-asn: 2, password: t}
    ` + pool;
    onlyError(text, {
      path: "peers[1]",
      message: "duplicate of peers[0]: identical peers are rejected",
      line: 3,
      column: 3,
    });
  });

  it("node selectors: operators, values and label syntax", () => {
    const text =
      yaml`
      peers:
      - peer-address: 10.0.0.1
        peer-asn: 1
        my-asn: 2
        node-selectors:
        - match-labels:
            "bad key!": x
            rack: "-a"
          match-expressions:
          - {key: a, operator: In}
          - {key: b, operator: Exists, values: [x]}
          - {key: c, operator: Equals, values: [x]}
          - {operator: In, values: [x]}
    ` + pool;
    const errors = invalid(text);
    expectIssue(errors, {
      path: 'peers[0].node-selectors[0].match-labels["bad key!"]',
      message: /"bad key!" is not a valid label key/,
      line: 7,
      column: 7,
    });
    expectIssue(errors, {
      path: "peers[0].node-selectors[0].match-labels.rack",
      message: /"-a" is not a valid label value/,
      line: 8,
      column: 13,
    });
    expectIssue(errors, {
      path: "peers[0].node-selectors[0].match-expressions[0].values",
      message: "must list at least one value for operator In",
    });
    expectIssue(errors, {
      path: "peers[0].node-selectors[0].match-expressions[1].values",
      message: "must be empty for operator Exists",
    });
    expectIssue(errors, {
      path: "peers[0].node-selectors[0].match-expressions[2].operator",
      message: '"Equals" is not an operator: In, NotIn, Exists or DoesNotExist',
      ...at(text, "Equals"),
    });
    expectIssue(errors, {
      path: "peers[0].node-selectors[0].match-expressions[3].key",
      message: "key is required",
      ...at(text, "{operator: In"),
    });
    assert.equal(errors.length, 6);
  });

  it("a password longer than the TCP MD5 key limit", () => {
    onlyError(peerWith(`  password: ${"x".repeat(81)}\n`), {
      path: "peers[0].password",
      message: "is 81 bytes long; a TCP MD5 key is at most 80 bytes (Linux TCP_MD5SIG_MAXKEYLEN)",
      line: 5,
      column: 13,
    });
  });
});

describe("address pools", () => {
  it("name, protocol and addresses are required", () => {
    const errors = invalid("address-pools:\n- auto-assign: true\n");
    for (const k of ["name", "protocol", "addresses"])
      expectIssue(errors, { path: `address-pools[0].${k}`, message: `${k} is required`, line: 2, column: 3 });
  });

  it("names are unique", () => {
    const text = yaml`
      address-pools:
      - {name: a, protocol: layer2, addresses: [10.0.0.0/30]}
      - {name: a, protocol: layer2, addresses: [10.0.1.0/30]}
    `;
    onlyError(text, {
      path: "address-pools[1].name",
      message: 'duplicate pool name "a" (also address-pools[0])',
      line: 3,
      column: 10,
    });
  });

  it("protocol is bgp or layer2", () => {
    onlyError("address-pools:\n- name: a\n  protocol: Layer2\n  addresses: [10.0.0.0/30]\n", {
      path: "address-pools[0].protocol",
      message: 'must be bgp or layer2, not "Layer2" (did you mean "layer2"?)',
      line: 3,
      column: 13,
    });
  });

  it("the issue's own example: 10.0.0.0/33 is not a prefix", () => {
    const text = yaml`
      address-pools:
      - name: a
        protocol: layer2
        addresses: [10.1.0.0/24]
      - name: b
        protocol: layer2
        addresses:
        - 10.0.0.0/33
    `;
    const e = onlyError(text, {
      path: "address-pools[1].addresses[0]",
      message: "10.0.0.0/33 is not a prefix",
      line: 8,
      column: 5,
    });
    assert.equal(
      formatIssue(e),
      "address-pools[1].addresses[0] (line 8, col 5): 10.0.0.0/33 is not a prefix",
    );
  });

  it("bad entries: garbage, a bare address, a reversed range, mixed families, a bad end", () => {
    const text = yaml`
      address-pools:
      - name: a
        protocol: layer2
        addresses:
        - banana
        - 10.0.0.1
        - 10.0.0.9-10.0.0.1
        - 10.0.0.1-2001:db8::1
        - 10.0.0.1-10.0.0
        - 2001:db8::/129
        - []
        -
    `;
    const errors = invalid(text);
    const p = "address-pools[0].addresses";
    expectIssue(errors, {
      path: `${p}[0]`,
      message: '"banana" is neither a CIDR prefix nor an a-b range',
      line: 5,
    });
    expectIssue(errors, {
      path: `${p}[1]`,
      message: "10.0.0.1 is neither a CIDR prefix nor an a-b range (a single address is written 10.0.0.1/32)",
    });
    expectIssue(errors, {
      path: `${p}[2]`,
      message: "10.0.0.9-10.0.0.1 is not an IP range: 10.0.0.9 comes after 10.0.0.1",
    });
    expectIssue(errors, {
      path: `${p}[3]`,
      message: "10.0.0.1-2001:db8::1 is not an IP range: the two ends are of different address families",
    });
    expectIssue(errors, {
      path: `${p}[4]`,
      message: "10.0.0.1-10.0.0 is not an IP range: 10.0.0 is not an IP address",
    });
    expectIssue(errors, { path: `${p}[5]`, message: "2001:db8::/129 is not a prefix", line: 10, column: 5 });
    expectIssue(errors, { path: `${p}[6]`, message: "must be a string, not a list", line: 11, column: 5 });
    expectIssue(errors, { path: `${p}[7]`, message: "must not be empty" });
    assert.equal(errors.length, 8);
  });

  it("addresses must not be empty", () => {
    onlyError("address-pools:\n- {name: a, protocol: layer2, addresses: []}\n", {
      path: "address-pools[0].addresses",
      message: "must list at least one CIDR or a-b range",
    });
  });

  it("overlap between pools names both pools", () => {
    const text = yaml`
      address-pools:
      - name: first
        protocol: layer2
        addresses: [10.0.0.0/24]
      - name: second
        protocol: bgp
        addresses:
        - 10.0.1.0/24
        - 10.0.0.250-10.0.1.5
    `;
    const errors = invalid(text);
    expectIssue(errors, {
      path: "address-pools[1].addresses[1]",
      message:
        '10.0.0.250-10.0.1.5 in pool "second" overlaps 10.0.0.0/24 in pool "first" (address-pools[0].addresses[0])',
      line: 9,
      column: 5,
    });
    expectIssue(errors, {
      path: "address-pools[1].addresses[1]",
      message:
        '10.0.0.250-10.0.1.5 in pool "second" overlaps 10.0.1.0/24 in the same pool (address-pools[1].addresses[0])',
    });
    assert.equal(errors.length, 2);
  });

  it("overlap in IPv6, and a pool that repeats itself", () => {
    const text = yaml`
      address-pools:
      - {name: a, protocol: layer2, addresses: ["2001:db8::/64", "2001:db8::/64"]}
      - {name: b, protocol: layer2, addresses: ["2001:db8::ffff-2001:db8::1:0"]}
    `;
    const errors = invalid(text);
    assert.equal(errors.length, 3);
    expectIssue(errors, {
      path: "address-pools[0].addresses[1]",
      message: /overlaps 2001:db8::\/64 in the same pool/,
    });
  });

  it("bgp-advertisements on a layer2 pool", () => {
    const text = yaml`
      address-pools:
      - name: a
        protocol: layer2
        addresses: [10.0.0.0/24]
        bgp-advertisements:
        - aggregation-length: 32
    `;
    onlyError(text, {
      path: "address-pools[0].bgp-advertisements",
      message: "is only for bgp pools, and this pool is layer2",
      line: 5,
      column: 3,
    });
  });

  it("auto-assign must be a boolean", () => {
    onlyError(
      "address-pools:\n- {name: a, protocol: layer2, addresses: [10.0.0.0/30], auto-assign: maybe}\n",
      {
        path: "address-pools[0].auto-assign",
        message: 'must be true or false, not "maybe"',
      },
    );
  });
});

describe("bgp advertisements", () => {
  const ad = (pool: string, adv: string) =>
    `address-pools:\n- name: a\n  protocol: bgp\n  addresses: [${pool}]\n  bgp-advertisements:\n  - ${adv}\n`;

  it("aggregation-length at most 32, v6 at most 128", () => {
    onlyError(ad("10.0.0.0/24", "aggregation-length: 33"), {
      path: "address-pools[0].bgp-advertisements[0].aggregation-length",
      message: "33 is out of range: must be 0-32",
      line: 6,
      column: 25,
    });
    onlyError(ad("10.0.0.0/24", "aggregation-length-v6: 129"), {
      path: "address-pools[0].bgp-advertisements[0].aggregation-length-v6",
      message: "129 is out of range: must be 0-128",
    });
  });

  it("aggregation-length shorter than the pool's prefix", () => {
    onlyError(ad("10.0.0.0/24", "aggregation-length: 23"), {
      path: "address-pools[0].bgp-advertisements[0].aggregation-length",
      message:
        "23 is shorter than /24, the shortest prefix of 10.0.0.0/24 (address-pools[0].addresses[0]): an aggregate must not cover addresses outside the pool",
      line: 6,
      column: 25,
    });
  });

  it("a range counts as its summarised CIDRs: 10-50 with /27 is rejected", () => {
    onlyError(ad("10.0.0.10-10.0.0.50", "aggregation-length: 27"), {
      path: "address-pools[0].bgp-advertisements[0].aggregation-length",
      message: /27 is shorter than \/28, the shortest prefix of 10\.0\.0\.10-10\.0\.0\.50/,
    });
  });

  it("aggregation-length-v6 against IPv6 entries", () => {
    onlyError(ad("2001:db8::/64", "aggregation-length-v6: 48"), {
      path: "address-pools[0].bgp-advertisements[0].aggregation-length-v6",
      message: /48 is shorter than \/64/,
    });
  });

  it("localpref is 32 bits", () => {
    onlyError(ad("10.0.0.0/24", "localpref: -1"), {
      path: "address-pools[0].bgp-advertisements[0].localpref",
      message: "-1 is out of range: must be 0-4294967295",
    });
  });

  it("communities: bad literals, unknown aliases, duplicates", () => {
    const text = yaml`
      bgp-communities:
        no-export: 65535:65281
      address-pools:
      - name: a
        protocol: bgp
        addresses: [10.0.0.0/24]
        bgp-advertisements:
        - communities:
          - 65536:1
          - no-exprt
          - "1:2:3"
          - large:1:2
          - 7:7
          - 7:7
    `;
    const errors = invalid(text);
    const p = "address-pools[0].bgp-advertisements[0].communities";
    expectIssue(errors, {
      path: `${p}[0]`,
      message: '"65536:1" is not a community: each half of a community is a number 0-65535',
      line: 9,
      column: 7,
    });
    expectIssue(errors, {
      path: `${p}[1]`,
      message:
        '"no-exprt" is neither a community (a:b or large:a:b:c) nor a name in bgp-communities (did you mean "no-export"?)',
      line: 10,
    });
    expectIssue(errors, {
      path: `${p}[2]`,
      message: '"1:2:3" is not a community: a community is a:b (or large:a:b:c)',
    });
    expectIssue(errors, {
      path: `${p}[3]`,
      message: '"large:1:2" is not a community: a large community is large:a:b:c',
    });
    expectIssue(errors, { path: `${p}[5]`, message: 'duplicate community "7:7"', line: 14, column: 7 });
    assert.equal(errors.length, 5);
  });

  it("an invalid alias that is used is an error at the alias and at the use", () => {
    const text = yaml`
      bgp-communities:
        bad: 1:99999
      address-pools:
      - {name: a, protocol: bgp, addresses: [10.0.0.0/24], bgp-advertisements: [{communities: [bad]}]}
    `;
    const errors = invalid(text);
    expectIssue(errors, {
      path: "bgp-communities.bad",
      message: '"1:99999" is not a community: each half of a community is a number 0-65535',
      line: 2,
      column: 8,
    });
    expectIssue(errors, {
      path: "address-pools[0].bgp-advertisements[0].communities[0]",
      message: 'community alias "bad" is invalid (see bgp-communities.bad)',
    });
  });

  it("identical advertisements are rejected", () => {
    const text = yaml`
      address-pools:
      - name: a
        protocol: bgp
        addresses: [10.0.0.0/24]
        bgp-advertisements:
        - {aggregation-length: 32, communities: ["1:1"]}
        - {aggregation-length: 32, communities: ["1:1"]}
    `;
    onlyError(text, {
      path: "address-pools[0].bgp-advertisements[1]",
      message: "identical to bgp-advertisements[0]",
      line: 7,
      column: 5,
    });
  });
});

describe("bfd-profiles (MetalLB's ranges)", () => {
  it("every limit, a missing name and a duplicate name", () => {
    const text = yaml`
      bfd-profiles:
      - name: a
        receive-interval: 9
        transmit-interval: 60001
        detect-multiplier: 1
        echo-interval: 70000
        minimum-ttl: 255
        echo-mode: sometimes
      - name: a
      - passive-mode: true
      address-pools: [{name: p, protocol: layer2, addresses: [10.0.0.0/30]}]
    `;
    const errors = invalid(text);
    const p = "bfd-profiles[0]";
    expectIssue(errors, {
      path: `${p}.receive-interval`,
      message: "9 is out of range: must be 10-60000 (milliseconds)",
      line: 3,
      column: 21,
    });
    expectIssue(errors, {
      path: `${p}.transmit-interval`,
      message: "60001 is out of range: must be 10-60000 (milliseconds)",
    });
    expectIssue(errors, { path: `${p}.detect-multiplier`, message: "1 is out of range: must be 2-255" });
    expectIssue(errors, {
      path: `${p}.echo-interval`,
      message: "70000 is out of range: must be 10-60000 (milliseconds)",
    });
    expectIssue(errors, { path: `${p}.minimum-ttl`, message: "255 is out of range: must be 1-254" });
    expectIssue(errors, { path: `${p}.echo-mode`, message: 'must be true or false, not "sometimes"' });
    expectIssue(errors, {
      path: "bfd-profiles[1].name",
      message: 'duplicate BFD profile name "a" (also bfd-profiles[0])',
      line: 9,
      column: 9,
    });
    expectIssue(errors, { path: "bfd-profiles[2].name", message: "name is required", line: 10, column: 3 });
    assert.equal(errors.length, 8);
  });
});

describe("structure and unknown keys", () => {
  it("unknown keys everywhere, with did-you-mean where one is close", () => {
    const text = yaml`
      peer:
      - peer-address: 10.0.0.1
      address-pools:
      - name: a
        protocol: layer2
        addresses: [10.0.0.0/30]
        autoassign: false
        colour: blue
    `;
    const errors = invalid(text);
    expectIssue(errors, {
      path: "peer",
      message: 'unknown key "peer" (did you mean "peers"?)',
      line: 1,
      column: 1,
    });
    expectIssue(errors, {
      path: "address-pools[0].autoassign",
      message: 'unknown key "autoassign" (did you mean "auto-assign"?)',
      line: 7,
      column: 3,
    });
    expectIssue(errors, {
      path: "address-pools[0].colour",
      message: 'unknown key "colour"',
      line: 8,
      column: 3,
    });
    assert.equal(errors.length, 3);
  });

  it("MetalLB v0.12.1's shipped example used bfdProfile: rejected, pointing at bfd-profile", () => {
    const text = peerWith("  bfdProfile: full1\n");
    onlyError(text, {
      path: "peers[0].bfdProfile",
      message: 'unknown key "bfdProfile" (did you mean "bfd-profile"?)',
      line: 5,
      column: 3,
    });
  });

  it("CRD-style camelCase keys get the ConfigMap spelling", () => {
    const errors = invalid(
      "addressPools: []\npeers:\n- {peerAddress: 10.0.0.1, peer-asn: 1, my-asn: 2, holdTime: 90s}\n",
    );
    expectIssue(errors, {
      path: "addressPools",
      message: 'unknown key "addressPools" (did you mean "address-pools"?)',
    });
    expectIssue(errors, { path: "peers[0].peerAddress", message: /did you mean "peer-address"/ });
    expectIssue(errors, { path: "peers[0].holdTime", message: /did you mean "hold-time"/ });
  });

  it("wrong shapes", () => {
    const errors = invalid("peers: {a: 1}\naddress-pools:\n- just-a-string\nbgp-communities: [a]\n");
    expectIssue(errors, { path: "peers", message: "must be a list, not a mapping", line: 1, column: 8 });
    expectIssue(errors, {
      path: "address-pools[0]",
      message: "must be a mapping, not a string",
      line: 3,
      column: 3,
    });
    expectIssue(errors, {
      path: "bgp-communities",
      message: "must be a mapping, not a list",
      line: 4,
      column: 18,
    });
    onlyError("- a\n- b\n", { path: "", message: "must be a mapping, not a list", line: 1, column: 1 });
  });

  it("YAML syntax errors and duplicate keys are reported with positions", () => {
    const errors = invalid("peers:\n- peer-address: 10.0.0.1\n  peer-address: 10.0.0.2\n");
    expectIssue(errors, { path: "", message: /invalid YAML: Map keys must be unique/, line: 3, column: 3 });
    const bad = invalid('address-pools:\n  - name: "a\n');
    assert.ok(bad.length >= 1);
    assert.ok(bad.every((e) => e.line !== undefined && e.message.startsWith("invalid YAML")));
  });
});

describe("all errors at once", () => {
  it("errors from every section, in file order", () => {
    const text = yaml`
      peers:
      - peer-address: nope
        peer-asn: 1
        my-asn: 2
        hold-time: 1s
      - peer-address: 10.0.0.2
        peer-asn: 1
        my-asn: 1
        ebgp-multihop: true
      address-pools:
      - name: a
        protocol: layer3
        addresses: [10.0.0.0/24]
      - name: b
        protocol: bgp
        addresses: [10.0.0.0/25]
        bgp-advertisements: [{aggregation-length: 8}]
      bfd-profiles:
      - name: x
        detect-multiplier: 0
    `;
    const errors = invalid(text);
    assert.deepEqual(
      errors.map((e) => e.path),
      [
        "peers[0].peer-address",
        "peers[0].hold-time",
        "peers[1].ebgp-multihop",
        "address-pools[0].protocol",
        "address-pools[1].addresses[0]",
        "address-pools[1].bgp-advertisements[0].aggregation-length",
        "bfd-profiles[0].detect-multiplier",
      ],
    );
    const lines = errors.map((e) => e.line!);
    assert.deepEqual(
      lines,
      [...lines].sort((a, b) => a - b),
    );
    assert.equal(errors[0]!.line, at(text, "nope").line);
    assert.equal(errors[0]!.column, at(text, "nope").column);
  });
});
