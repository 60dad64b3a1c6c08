/** Valid configs: MetalLB's examples and edge cases, with every default filled in. */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { IpAddress, type IpRange, Prefix } from "../../../protocol/ip/index.ts";
import { formatCommunity } from "../../../src/config/index.ts";
import { valid, yaml } from "./helpers.ts";

const fixture = (name: string) => readFileSync(new URL(`fixtures/${name}`, import.meta.url), "utf8");

describe("MetalLB's complete example (anchors.md b)", () => {
  const { config, warnings } = valid(fixture("metallb-example.yaml"));

  it("reads the peer with every field", () => {
    assert.equal(config.peers.length, 1);
    const p = config.peers[0]!;
    assert.ok(p.peerAddress.equals(IpAddress.of("10.0.0.1")));
    assert.equal(p.peerAsn, 64501);
    assert.equal(p.myAsn, 64500);
    assert.equal(p.peerPort, 179);
    assert.ok(p.sourceAddress?.equals(IpAddress.of("10.0.0.2")));
    assert.equal(p.holdTime, 90);
    assert.equal(p.keepaliveTime, 30);
    assert.ok(p.routerId?.equals(IpAddress.of("10.0.0.2")));
    assert.equal(p.password?.reveal(), "yourPassword");
    assert.equal(p.bfdProfile, "full1");
    assert.equal(p.ebgpMultihop, false);
    assert.equal(p.nodeSelectors.length, 1);
    const sel = p.nodeSelectors[0]!;
    assert.deepEqual([...sel.matchLabels], [["rack", "frontend"]]);
    assert.deepEqual(sel.matchExpressions, [{ key: "network-speed", operator: "NotIn", values: ["slow"] }]);
  });

  it("reads both pools, the CIDR and the summarised range", () => {
    const [bgp, l2] = config.addressPools;
    assert.equal(bgp?.name, "default");
    assert.equal(bgp?.protocol, "bgp");
    assert.ok(bgp?.ranges[0]?.first.equals(IpAddress.of("198.51.100.0")));
    assert.ok(bgp?.ranges[0]?.last.equals(IpAddress.of("198.51.100.255")));
    assert.equal(bgp?.autoAssign, true);
    assert.equal(bgp?.avoidBuggyIps, false);
    assert.equal(l2?.protocol, "layer2");
    assert.ok(l2?.ranges[0]?.first.equals(IpAddress.of("192.168.1.240")));
    assert.ok(l2?.ranges[0]?.last.equals(IpAddress.of("192.168.1.250")));
    assert.deepEqual(l2?.prefixes.map(String), ["192.168.1.240/29", "192.168.1.248/31", "192.168.1.250/32"]);
    assert.deepEqual(l2?.bgpAdvertisements, []);
  });

  it("reads advertisements with aliases resolved and defaults filled", () => {
    const ads = config.addressPools[0]!.bgpAdvertisements;
    assert.equal(ads.length, 2);
    assert.deepEqual(
      { ...ads[0]!, communities: ads[0]!.communities.map(formatCommunity) },
      {
        aggregationLength: 32,
        aggregationLengthV6: 128,
        localPref: 100,
        communities: ["65535:65282", "64500:1"],
      },
    );
    assert.deepEqual(ads[1], {
      aggregationLength: 24,
      aggregationLengthV6: 128,
      localPref: 0,
      communities: [],
    });
    assert.equal(formatCommunity(config.bgpCommunities.get("no-advertise")!), "65535:65282");
  });

  it("reads the BFD profile, and warns about what does not apply yet (BFD; TCP MD5 is applied)", () => {
    assert.deepEqual(config.bfdProfiles, [
      {
        name: "full1",
        receiveInterval: 300,
        transmitInterval: 300,
        detectMultiplier: 3,
        echoInterval: 50,
        echoMode: false,
        passiveMode: false,
        minimumTtl: 254,
      },
    ]);
    assert.deepEqual(
      warnings.map((w) => [w.path, w.line]),
      [
        ["peers[0].bfd-profile", 18],
        ["bfd-profiles", 48],
      ],
    );
  });

  it("means the same as a bare config", () => {
    const manifest = fixture("metallb-example.yaml");
    const bare = yaml`${manifest.slice(manifest.indexOf("config: |") + "config: |".length)}`;
    const b = valid(bare);
    assert.deepEqual(JSON.stringify(b.config.addressPools), JSON.stringify(config.addressPools));
    assert.equal(b.warnings.length, 2);
    assert.equal(b.warnings[0]?.line, 11); // bare: counted in the bare text
  });
});

describe("defaults", () => {
  const { config } = valid(yaml`
    peers:
    - peer-address: 10.0.0.1
      peer-asn: 64501
      my-asn: 64500
    address-pools:
    - name: default
      protocol: bgp
      addresses: [10.1.0.0/16]
  `);
  const p = config.peers[0]!;
  it("peer: port 179, hold 90s, keepalive 30s, all nodes, no password", () => {
    assert.deepEqual(
      [p.peerPort, p.holdTime, p.keepaliveTime, p.ebgpMultihop, p.nodeSelectors.length],
      [179, 90, 30, false, 0],
    );
    assert.equal(p.password, undefined);
    assert.equal(p.routerId, undefined);
    assert.equal(p.sourceAddress, undefined);
    assert.equal(p.bfdProfile, undefined);
  });
  it("pools satisfy the allocator's contract (src/ipam) structurally", () => {
    type AllocatorPool = {
      name: string;
      ranges: readonly IpRange[];
      autoAssign: boolean;
      avoidBuggyIps: boolean;
    };
    const pools: readonly AllocatorPool[] = config.addressPools;
    assert.equal(pools[0]?.ranges[0]?.last.toString(), "10.1.255.255");
  });
  it("pool: auto-assign true, avoid-buggy-ips false, one default advertisement", () => {
    const pool = config.addressPools[0]!;
    assert.equal(pool.autoAssign, true);
    assert.equal(pool.avoidBuggyIps, false);
    assert.deepEqual(pool.bgpAdvertisements, [
      { aggregationLength: 32, aggregationLengthV6: 128, localPref: 0, communities: [] },
    ]);
  });
  it("peer-port 0 means unset, as in MetalLB", () => {
    const c = valid(yaml`
      peers:
      - {peer-address: 10.0.0.1, peer-asn: 1, my-asn: 2, peer-port: 0}
      address-pools: [{name: a, protocol: layer2, addresses: [10.0.0.0/30]}]
    `);
    assert.equal(c.config.peers[0]?.peerPort, 179);
  });
});

describe("addresses", () => {
  it("IPv4 and IPv6 CIDRs and ranges, in the order written", () => {
    const { config } = valid(yaml`
      address-pools:
      - name: dual
        protocol: layer2
        addresses:
        - 10.0.0.0/24
        - 2001:db8::/64
        - 10.0.1.10 - 10.0.1.20
        - 2001:db8:1::1-2001:db8:1::ff
    `);
    const r = config.addressPools[0]!.ranges.map((x) => `${x.first}..${x.last}`);
    assert.deepEqual(r, [
      "10.0.0.0..10.0.0.255",
      "2001:db8::..2001:db8::ffff:ffff:ffff:ffff",
      "10.0.1.10..10.0.1.20",
      "2001:db8:1::1..2001:db8:1::ff",
    ]);
  });

  it("a CIDR with host bits means its network, with a warning (Go's net.ParseCIDR)", () => {
    const { config, warnings } = valid(yaml`
      address-pools:
      - name: a
        protocol: layer2
        addresses: [10.0.0.7/24]
    `);
    assert.equal(config.addressPools[0]!.prefixes[0]?.toString(), "10.0.0.0/24");
    assert.equal(warnings[0]?.path, "address-pools[0].addresses[0]");
    assert.match(warnings[0]!.message, /host bits set; it means 10\.0\.0\.0\/24/);
  });

  it("a single-address range and a /32 are fine; adjacent pools do not overlap", () => {
    const { config } = valid(yaml`
      address-pools:
      - {name: a, protocol: layer2, addresses: [10.0.0.1-10.0.0.1, 10.0.0.2/32]}
      - {name: b, protocol: layer2, addresses: [10.0.0.3-10.0.0.10, "::ffff:0:0/96"]}
    `);
    assert.equal(config.addressPools.length, 2);
  });

  it("the same numbers in IPv4 and IPv6 do not overlap", () => {
    valid(yaml`
      address-pools:
      - {name: a, protocol: layer2, addresses: [0.0.0.0/8]}
      - {name: b, protocol: layer2, addresses: ["::/104"]}
    `);
  });

  it("avoid-buggy-ips and auto-assign are read", () => {
    const { config } = valid(yaml`
      address-pools:
      - {name: a, protocol: layer2, addresses: [10.0.0.0/24], avoid-buggy-ips: true, auto-assign: false}
    `);
    assert.equal(config.addressPools[0]!.avoidBuggyIps, true);
    assert.equal(config.addressPools[0]!.autoAssign, false);
  });
});

describe("aggregation length against the pool's prefixes (MetalLB lowestMask)", () => {
  it("a range counts as its summarised CIDRs: 10-50 needs at least /28", () => {
    valid(yaml`
      address-pools:
      - name: a
        protocol: bgp
        addresses: [10.0.0.10-10.0.0.50]
        bgp-advertisements: [{aggregation-length: 28}]
    `);
  });
  it("equal to the pool prefix, and v6 checked only against v6 entries", () => {
    const { config } = valid(yaml`
      address-pools:
      - name: a
        protocol: bgp
        addresses: [10.0.0.0/24, 2001:db8::/56]
        bgp-advertisements: [{aggregation-length: 24, aggregation-length-v6: 56, localpref: 4294967295}]
    `);
    assert.equal(config.addressPools[0]!.bgpAdvertisements[0]?.aggregationLengthV6, 56);
    assert.equal(config.addressPools[0]!.bgpAdvertisements[0]?.localPref, 4294967295);
  });
});

describe("durations (Go syntax, truncated to seconds like MetalLB)", () => {
  const peer = (extra: string) =>
    valid(yaml`
      peers:
      - {peer-address: 10.0.0.1, peer-asn: 1, my-asn: 2, ${extra}}
      address-pools: [{name: a, protocol: layer2, addresses: [10.0.0.0/30]}]
    `);
  it("1m30s is 90 seconds, keepalive defaults to a third", () => {
    const p = peer("hold-time: 1m30s").config.peers[0]!;
    assert.deepEqual([p.holdTime, p.keepaliveTime], [90, 30]);
  });
  it("0 disables the hold timer, and keepalive becomes 0", () => {
    const p = peer("hold-time: 0s").config.peers[0]!;
    assert.deepEqual([p.holdTime, p.keepaliveTime], [0, 0]);
  });
  it("3s is the minimum; 3.9s truncates to 3s with a warning", () => {
    const r = peer("hold-time: 3.9s");
    assert.equal(r.config.peers[0]?.holdTime, 3);
    assert.match(r.warnings[0]!.message, /truncated to whole seconds: 3s/);
  });
  it("500ms truncates to 0, which MetalLB also accepts: warned", () => {
    const r = peer("hold-time: 500ms");
    assert.equal(r.config.peers[0]?.holdTime, 0);
    assert.match(r.warnings[0]!.message, /disables the hold timer/);
  });
  it("ttl-security: off by default, on when true; a password gives no warning any more", () => {
    assert.equal(peer("hold-time: 90s").config.peers[0]!.ttlSecurity, false);
    const r = peer("ttl-security: true, password: s3cret");
    assert.equal(r.config.peers[0]!.ttlSecurity, true);
    assert.deepEqual(r.warnings, []);
  });

  it("keepalive-time equal to hold-time is allowed; 1h is 3600s", () => {
    const p = peer("hold-time: 1h, keepalive-time: 60m").config.peers[0]!;
    assert.deepEqual([p.holdTime, p.keepaliveTime], [3600, 3600]);
  });
});

describe("YAML as MetalLB's go-yaml v2 reads it", () => {
  it("YAML 1.1 booleans (yes/on/no) and a numeric password", () => {
    const { config } = valid(yaml`
      peers:
      - {peer-address: "fe80::1", peer-asn: 65000, my-asn: 65001, ebgp-multihop: yes, password: 0123}
      address-pools:
      - {name: a, protocol: layer2, addresses: [10.0.0.0/30], auto-assign: off, avoid-buggy-ips: On}
    `);
    assert.equal(config.peers[0]?.ebgpMultihop, true);
    assert.equal(config.peers[0]?.password?.reveal(), "0123");
    assert.equal(config.addressPools[0]?.autoAssign, false);
    assert.equal(config.addressPools[0]?.avoidBuggyIps, true);
  });
  it("hex and octal integers, null fields as unset, anchors and aliases", () => {
    const { config } = valid(yaml`
      peers:
      - &p {peer-address: 10.0.0.1, peer-asn: 0xFDE8, my-asn: 010, peer-port: ~, password: }
      - {peer-address: 10.0.0.2, peer-asn: 64500, my-asn: 8}
      address-pools: [{name: a, protocol: layer2, addresses: [10.0.0.0/30]}]
    `);
    assert.equal(config.peers[0]?.peerAsn, 65000);
    assert.equal(config.peers[0]?.myAsn, 8);
    assert.equal(config.peers[0]?.peerPort, 179);
    assert.equal(config.peers[0]?.password, undefined);
  });
});

describe("node selectors", () => {
  it("all four operators; an empty selector means every node", () => {
    const { config } = valid(yaml`
      peers:
      - peer-address: 10.0.0.1
        peer-asn: 1
        my-asn: 2
        node-selectors:
        - match-labels: {kubernetes.io/hostname: node-1, rack: ""}
        - match-expressions:
          - {key: a, operator: In, values: [x, y]}
          - {key: b, operator: NotIn, values: [z]}
          - {key: c, operator: Exists}
          - {key: example.com/d, operator: DoesNotExist, values: []}
        -
      address-pools: [{name: a, protocol: layer2, addresses: [10.0.0.0/30]}]
    `);
    const sels = config.peers[0]!.nodeSelectors;
    assert.equal(sels.length, 3);
    assert.deepEqual(
      sels[1]?.matchExpressions.map((e) => e.operator),
      ["In", "NotIn", "Exists", "DoesNotExist"],
    );
    assert.equal(sels[2]?.matchLabels.size, 0);
  });
});

describe("communities", () => {
  it("large communities, aliases and literals", () => {
    const { config } = valid(yaml`
      bgp-communities:
        mine: large:64500:1:2
        blackhole: "65535:666"
      address-pools:
      - name: a
        protocol: bgp
        addresses: [10.0.0.0/24]
        bgp-advertisements:
        - communities: [mine, blackhole, "0:0", "65535:65535", large:4294967295:0:4294967295]
    `);
    assert.deepEqual(config.addressPools[0]!.bgpAdvertisements[0]!.communities.map(formatCommunity), [
      "large:64500:1:2",
      "65535:666",
      "0:0",
      "65535:65535",
      "large:4294967295:0:4294967295",
    ]);
  });
});

describe("warnings, not errors", () => {
  it("an empty config is valid but warned", () => {
    const r = valid("");
    assert.equal(r.config.addressPools.length, 0);
    assert.match(r.warnings[0]!.message, /empty/);
    assert.match(valid("# only a comment\n").warnings[0]!.message, /empty/);
  });
  it("vrf is accepted with a warning", () => {
    const { config, warnings } = valid(yaml`
      peers: [{peer-address: 10.0.0.1, peer-asn: 1, my-asn: 2, vrf: red}]
      address-pools: [{name: a, protocol: bgp, addresses: [10.0.0.0/30]}]
    `);
    assert.equal(config.peers[0]?.vrf, "red");
    assert.deepEqual(
      warnings.map((w) => w.path),
      ["peers[0].vrf"],
    );
  });
  it("a pool name that is not a DNS label is accepted (MetalLB did) with a warning", () => {
    const { warnings } = valid(yaml`
      address-pools: [{name: My_Pool, protocol: layer2, addresses: [10.0.0.0/30]}]
    `);
    assert.equal(warnings[0]?.path, "address-pools[0].name");
    assert.match(warnings[0]!.message, /not a DNS label/);
  });
  it("bgp pools without peers, and no pools at all", () => {
    assert.match(
      valid("address-pools: [{name: a, protocol: bgp, addresses: [10.0.0.0/30]}]\n").warnings[0]!.message,
      /no peers/,
    );
    assert.match(valid("peers: []\n").warnings[0]!.message, /no address pools/);
  });
  it("an invalid community alias that no advertisement uses (MetalLB never read it)", () => {
    const { warnings } = valid(yaml`
      bgp-communities: {bad: "1:2:3"}
      address-pools: [{name: a, protocol: layer2, addresses: [10.0.0.0/30]}]
    `);
    assert.equal(warnings[0]?.path, "bgp-communities.bad");
  });
  it("prefixes are normalised value types", () => {
    const { config } = valid("address-pools: [{name: a, protocol: layer2, addresses: [2001:DB8::/32]}]\n");
    assert.ok(config.addressPools[0]!.prefixes[0]!.equals(Prefix.from("2001:db8::/32")));
  });
});
