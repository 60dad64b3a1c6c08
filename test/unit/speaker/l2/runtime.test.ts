/**
 * The layer-2 runtime on a fake segment with a fake clock: several speakers and a client on
 * one switch, the real codecs, filter, election and heartbeats. Failover, graceful leave,
 * return of a node, the arbiter settling a one-way fault, and malformed frames.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { IpAddress } from "../../../../protocol/ip/index.ts";
import {
  ArpOperation,
  decodeArp,
  decodeEthernet,
  EtherType,
  encodeArp,
  encodeEthernet,
  encodeHeartbeat,
  HEARTBEAT_ETHERTYPE,
  HEARTBEAT_GROUP,
  MacAddress,
} from "../../../../protocol/l2/index.ts";
import { silentLogger } from "../../../../src/observe/logger.ts";
import { FakeArbiter, type LivenessArbiter } from "../../../../src/speaker/l2/arbiter.ts";
import { LeaseEvidence, speakerLeaseName } from "../../../../src/speaker/l2/lease-evidence.ts";
import { L2Runtime } from "../../../../src/speaker/l2/runtime.ts";
import type { L2Address } from "../../../../src/speaker/plan.ts";
import { ethLinks, FakeClock, Segment, type Station } from "./fakes.ts";

const CLIENT_MAC = MacAddress.of("02:cc:00:00:00:01");
const CLIENT_IP = IpAddress.of("192.168.1.2");

function addresses(n: number, nodes: string[]): L2Address[] {
  return Array.from({ length: n }, (_, i) => ({
    ip: IpAddress.of(`192.168.1.${200 + i}`),
    pool: "l2",
    services: [`ns/s${i}`],
    eligibleNodes: nodes,
  }));
}

interface Lab {
  clock: FakeClock;
  seg: Segment;
  client: Station;
  nodes: Map<string, { rt: L2Runtime; st: Station }>;
  ips: L2Address[];
}

function lab(nodeNames: string[], nIps: number, arbiter?: LivenessArbiter): Lab {
  const clock = new FakeClock();
  const seg = new Segment();
  clock.afterEach = () => seg.flush();
  const client = seg.add("client", String(CLIENT_MAC));
  const ips = addresses(nIps, nodeNames);
  const nodes = new Map<string, { rt: L2Runtime; st: Station }>();
  nodeNames.forEach((name, i) => {
    const st = seg.add(name, `02:00:00:00:00:${(i + 1).toString(16).padStart(2, "0")}`);
    nodes.set(name, { rt: start(name, st, seg, clock, ips, nodeNames, arbiter), st });
  });
  return { clock, seg, client, nodes, ips };
}

function start(
  name: string,
  st: Station,
  seg: Segment,
  clock: FakeClock,
  ips: L2Address[],
  nodeNames: string[],
  arbiter?: LivenessArbiter,
  seed = 0,
): L2Runtime {
  let r = 0.1 + nodeNames.indexOf(name) / 10 + seed / 1000;
  const rt = new L2Runtime({
    node: name,
    logger: silentLogger,
    netsys: () => seg.netsys(st),
    links: () => ethLinks(st.mac),
    clock,
    random: () => (r = (r * 7.13) % 1),
    ...(arbiter ? { arbiter } : {}),
  });
  rt.apply({ eligible: ips, cluster: ips, poolInterfaces: new Map() });
  seg.flush();
  return rt;
}

function arpRequest(target: IpAddress): Uint8Array {
  return encodeEthernet(
    {
      destination: MacAddress.BROADCAST,
      source: CLIENT_MAC,
      etherType: EtherType.ARP,
      payload: encodeArp({
        operation: ArpOperation.Request,
        senderMac: CLIENT_MAC,
        senderIp: CLIENT_IP,
        targetMac: MacAddress.ZERO,
        targetIp: target,
      }),
    },
    { padToMinimum: true },
  );
}

/** The MACs that answer the client's ARP request for `ip` (in order). */
function ask(l: Lab, ip: IpAddress): string[] {
  l.client.inbox.length = 0;
  l.seg.transmit(l.client, arpRequest(ip));
  l.seg.flush();
  return l.client.inbox.flatMap((f) => {
    const eth = decodeEthernet(f);
    if (!eth.ok || eth.value.etherType !== EtherType.ARP) return [];
    const a = decodeArp(eth.value.payload);
    return a.ok && a.value.operation === ArpOperation.Reply && a.value.targetIp.equals(CLIENT_IP)
      ? [String(a.value.senderMac)]
      : [];
  });
}

/** Gratuitous ARP for `ip` seen by the client since the inbox was cleared: sender MACs. */
function garps(l: Lab, ip: IpAddress): string[] {
  return l.client.inbox.flatMap((f) => {
    const eth = decodeEthernet(f);
    if (!eth.ok || eth.value.etherType !== EtherType.ARP) return [];
    const a = decodeArp(eth.value.payload);
    return a.ok && a.value.senderIp.equals(ip) && a.value.targetIp.equals(ip)
      ? [String(a.value.senderMac)]
      : [];
  });
}

function owners(l: Lab): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [name, n] of l.nodes)
    for (const a of n.rt.status().addresses) if (a.answering) out.set(a.ip, [...(out.get(a.ip) ?? []), name]);
  return out;
}

function loads(l: Lab): Map<string, number> {
  const out = new Map<string, number>();
  for (const [ip, ns] of owners(l)) {
    assert.equal(ns.length, 1, `${ip} answered by ${ns}`);
    out.set(ns[0]!, (out.get(ns[0]!) ?? 0) + 1);
  }
  return out;
}

const macOf = (l: Lab, node: string) => String(l.nodes.get(node)!.st.mac);

describe("layer-2 runtime on a fake segment", () => {
  it("warms up, then every address has exactly one answering node, spread evenly", () => {
    const l = lab(["a", "b", "c"], 9);
    for (const n of l.nodes.values()) assert.equal(n.rt.status().ready, false);
    assert.deepEqual(ask(l, l.ips[0]!.ip), [], "nobody answers while warming up");
    assert.equal(l.nodes.get("a")!.rt.status().addresses[0]!.reason, "warmingUp");
    l.clock.advance(500);
    for (const n of l.nodes.values()) {
      const s = n.rt.status();
      assert.equal(s.ready, true);
      assert.deepEqual(
        s.members.map((m) => m.state),
        ["alive", "alive"],
      );
    }
    assert.deepEqual([...loads(l).values()], [3, 3, 3]);
    for (const a of l.ips) {
      const macs = ask(l, a.ip);
      const [winner] = owners(l).get(a.ip.toString())!;
      assert.deepEqual(macs, [macOf(l, winner!)]);
    }
    const s = l.nodes.get("a")!.rt.status();
    const notMine = s.addresses.find((x) => !x.answering)!;
    assert.equal(notMine.reason, "notElected");
    assert.ok(notMine.winner === "b" || notMine.winner === "c");
  });

  it("a dead node's addresses move within hold time + one tick, announced by gratuitous ARP", () => {
    const l = lab(["a", "b", "c"], 6);
    l.clock.advance(500);
    const before = owners(l);
    const victim = "b";
    const lost = [...before].filter(([, ns]) => ns[0] === victim).map(([ip]) => ip);
    assert.ok(lost.length > 0);
    l.nodes.get(victim)!.st.unplugged = true; // the node dies: no frame in or out
    const diedAt = l.clock.now();
    l.client.inbox.length = 0;
    let movedAt: number | undefined;
    for (let t = 0; t < 1000 && movedAt === undefined; t += 5) {
      l.clock.advance(5);
      const o = owners(l);
      if (lost.every((ip) => (o.get(ip) ?? []).some((n) => n !== victim))) movedAt = l.clock.now();
    }
    assert.ok(movedAt !== undefined, "addresses moved");
    assert.ok(movedAt - diedAt <= 350 + 100 + 25, `took ${movedAt - diedAt} ms`);
    l.clock.advance(200);
    for (const ip of lost) {
      const newOwner = owners(l)
        .get(ip)!
        .find((n) => n !== victim)!;
      assert.ok(garps(l, IpAddress.of(ip)).includes(macOf(l, newOwner)), `gratuitous ARP for ${ip}`);
    }
    // Addresses of the survivors did not move.
    for (const [ip, ns] of before)
      if (ns[0] !== victim)
        assert.deepEqual(
          owners(l)
            .get(ip)!
            .filter((n) => n !== victim),
          ns,
        );
  });

  it("a graceful stop hands over at once (leaving heartbeat)", () => {
    const l = lab(["a", "b"], 4);
    l.clock.advance(500);
    l.nodes.get("a")!.rt.stop();
    l.seg.flush();
    const s = l.nodes.get("b")!.rt.status();
    assert.equal(s.members[0]!.state, "left");
    assert.ok(
      s.addresses.every((a) => a.answering),
      "b answers everything without waiting for the hold time",
    );
  });

  it("a node that comes back takes back its home addresses, and only those", () => {
    const l = lab(["a", "b", "c"], 9);
    l.clock.advance(500);
    const home = new Map([...owners(l)].map(([ip, ns]) => [ip, ns[0]!]));
    l.nodes.get("c")!.rt.stop();
    l.seg.flush();
    l.clock.advance(100);
    l.nodes.get("c")!.st.sockets.clear();
    // c restarts (new process, new incarnation).
    const c = l.nodes.get("c")!;
    l.client.inbox.length = 0;
    c.rt = start("c", c.st, l.seg, l.clock, l.ips, ["a", "b", "c"], undefined, 1);
    assert.notEqual(c.rt.incarnation, l.nodes.get("a")!.rt.incarnation);
    l.clock.advance(1000);
    const now = new Map([...owners(l)].map(([ip, ns]) => [ip, ns]));
    for (const [ip, ns] of now) assert.deepEqual(ns, [home.get(ip)], ip);
    // No tug of war: once c announces its address, the interim owner never announces it again.
    for (const [ip, n] of home) {
      if (n !== "c") continue;
      const senders = garps(l, IpAddress.of(ip));
      const firstC = senders.indexOf(macOf(l, "c"));
      assert.ok(firstC >= 0, `c announced ${ip}`);
      assert.deepEqual(new Set(senders.slice(firstC)), new Set([macOf(l, "c")]), `${ip}: ${senders}`);
    }
  });

  it("one-way fault: b stops hearing a; without an arbiter both answer; with the API showing a alive, b yields", () => {
    for (const withArbiter of [false, true]) {
      const arbiter = new FakeArbiter();
      const l = lab(["a", "b"], 4, withArbiter ? arbiter : undefined);
      l.clock.advance(500);
      const aHome = [...owners(l)].filter(([, ns]) => ns[0] === "a").map(([ip]) => ip);
      l.nodes.get("b")!.st.deaf.add(macOf(l, "a"));
      arbiter.set("a", { state: "alive", renewedAt: l.clock.now() });
      l.clock.advance(500);
      for (const ip of aHome) assert.deepEqual(owners(l).get(ip), ["a", "b"], "split brain at first");
      // a's Lease is renewed every 2 s; b observes a renewal well after it began to suspect a.
      l.clock.advance(1500);
      arbiter.set("a", { state: "alive", renewedAt: l.clock.now() });
      l.clock.advance(100);
      const b = l.nodes.get("b")!.rt.status();
      if (withArbiter) {
        assert.equal(b.members[0]!.state, "disputed");
        for (const ip of aHome) assert.deepEqual(owners(l).get(ip), ["a"], "b yielded");
      } else {
        assert.equal(b.members[0]!.state, "suspect");
        for (const ip of aHome) assert.deepEqual(owners(l).get(ip), ["a", "b"], "standalone: both answer");
      }
    }
  });

  it("malformed frames change nothing: counted, never answered, never crash", () => {
    const l = lab(["a", "b"], 2);
    l.clock.advance(500);
    const before = JSON.stringify([...owners(l)]);
    const a = l.nodes.get("a")!;
    const hb = encodeHeartbeat({
      node: "b",
      incarnation: 1,
      sequence: 1,
      intervalMs: 100,
      holdMs: 350,
      ready: false,
      leaving: true,
    });
    const frame = (payload: Uint8Array, type = HEARTBEAT_ETHERTYPE) =>
      encodeEthernet({ destination: HEARTBEAT_GROUP, source: l.client.mac, etherType: type, payload });
    const bad: Uint8Array[] = [
      frame(hb.subarray(0, 10)), // truncated heartbeat
      frame(Uint8Array.from([...hb.subarray(0, 2), 9, ...hb.subarray(3)])), // version 9
      frame(Uint8Array.from([...hb.subarray(0, 16), 40, ...hb.subarray(17)])), // name runs past the end
      arpRequest(l.ips[0]!.ip).subarray(0, 30), // truncated ARP
      Uint8Array.from([...arpRequest(l.ips[0]!.ip)].map((x, i) => (i === 15 ? 6 : x))), // hardware type 6
      new Uint8Array(13),
      Uint8Array.from({ length: 200 }, (_, i) => (i * 37) & 0xff),
    ];
    const seen = a.rt.status().counters.heartbeatsMalformed;
    l.client.inbox.length = 0;
    for (const f of bad) l.seg.transmit(l.client, f);
    l.seg.flush();
    l.clock.advance(100);
    assert.equal(a.rt.status().counters.heartbeatsMalformed - seen, 3);
    assert.equal(
      l.client.inbox.filter((f) => f[12] === 0x08 && f[13] === 0x06).length,
      0,
      "no ARP reply to anything malformed",
    );
    assert.equal(JSON.stringify([...owners(l)]), before);
    assert.equal(a.rt.status().members[0]!.state, "alive", "b's real heartbeats still count");
  });

  it("a heartbeat with our own name is ignored and counted", () => {
    const l = lab(["a", "b"], 2);
    l.clock.advance(500);
    const hb = encodeHeartbeat({
      node: "a",
      incarnation: 9,
      sequence: 1,
      intervalMs: 100,
      holdMs: 350,
      ready: true,
      leaving: false,
    });
    l.seg.transmit(
      l.client,
      encodeEthernet({
        destination: HEARTBEAT_GROUP,
        source: l.client.mac,
        etherType: HEARTBEAT_ETHERTYPE,
        payload: hb,
      }),
    );
    l.seg.flush();
    assert.equal(l.nodes.get("a")!.rt.status().counters.heartbeatsWithOurName, 1);
    assert.equal(l.nodes.get("a")!.rt.status().members.length, 1);
  });

  it("the Lease evidence cache as arbiter: a one-way fault settles within a renewal period", () => {
    const leases = new LeaseEvidence();
    const l = lab(["a", "b"], 4, leases);
    leases.synced(l.clock.now());
    const renew = (n: number) =>
      leases.upsert(
        {
          metadata: { name: speakerLeaseName("a") },
          spec: { holderIdentity: "a/1", renewTime: `t${n}`, leaseDurationSeconds: 6 },
        },
        l.clock.now(),
      );
    renew(0);
    l.clock.advance(500);
    const aHome = [...owners(l)].filter(([, ns]) => ns[0] === "a").map(([ip]) => ip);
    assert.ok(aHome.length > 0);
    l.nodes.get("b")!.st.deaf.add(macOf(l, "a"));
    const faultAt = l.clock.now();
    let settledAt: number | undefined;
    for (let t = 0, n = 1; t < 6000 && settledAt === undefined; t += 50) {
      if (t % 2000 === 0) renew(n++); // a renews every 2 s
      l.clock.advance(50);
      if (t > 400 && aHome.every((ip) => owners(l).get(ip)!.join() === "a")) settledAt = l.clock.now();
    }
    assert.ok(settledAt !== undefined, "b yielded");
    assert.ok(settledAt - faultAt <= 2000 + 350 + 1000 + 100, `settled after ${settledAt - faultAt} ms`);
  });

  it("without the packet socket door (no addon, no CAP_NET_RAW): unavailable in status, no crash", () => {
    const clock = new FakeClock();
    let calls = 0;
    const rt = new L2Runtime({
      node: "a",
      logger: silentLogger,
      netsys: () => {
        calls++;
        throw new Error("native addon not built");
      },
      links: () => ethLinks(MacAddress.of("02:00:00:00:00:01")),
      clock,
    });
    const ips = addresses(2, ["a"]);
    rt.apply({ eligible: ips, cluster: ips, poolInterfaces: new Map() });
    clock.advance(5000);
    const s = rt.status();
    assert.match(s.error ?? "", /eth0: native addon not built/);
    assert.deepEqual(
      s.addresses.map((a) => [a.answering, a.reason]),
      [
        [false, "unavailable"],
        [false, "unavailable"],
      ],
    );
    assert.ok(calls >= 2, "tried again at each rescan");
    assert.equal(rt.healthy(), false);
    rt.stop();
  });

  it("warns when kube-proxy IPVS runs without strictARP, and not with it", () => {
    for (const [ignore, announce, warned] of [
      ["0", "0", true],
      ["1", "0", true],
      ["1", "2", false],
      ["2", "2", false],
    ] as const) {
      const seg = new Segment();
      const st = seg.add("a", "02:00:00:00:00:01");
      const rt = new L2Runtime({
        node: "a",
        logger: silentLogger,
        netsys: () => seg.netsys(st),
        links: () => [
          ...ethLinks(st.mac),
          {
            name: "kube-ipvs0",
            index: 9,
            mac: "aa:bb:cc:00:00:01",
            flags: 0x82,
            operstate: "down",
            enslaved: false,
            cidrs: [],
          },
        ],
        clock: new FakeClock(),
        sysctl: (name) =>
          name.endsWith("arp_ignore") ? ignore : name.endsWith("arp_announce") ? announce : undefined,
      });
      const ips = addresses(1, ["a"]);
      rt.apply({ eligible: ips, cluster: ips, poolInterfaces: new Map() });
      const w = rt.status().warnings ?? [];
      assert.equal(w.length, warned ? 1 : 0, `${ignore}/${announce}: ${w}`);
      if (warned) assert.match(w[0]!, /strictARP/);
      assert.equal(rt.status().interfaces.find((i) => i.name === "kube-ipvs0")?.skipped, "virtual");
      rt.stop();
    }
  });
});
