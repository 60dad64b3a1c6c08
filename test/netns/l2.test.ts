// Layer 2 mode end to end: three signalbox speakers (`bin/signalbox speaker --standalone`) and a
// client host on one Linux bridge, a second client on a second bridge, real arping, ping,
// ndisc6 and the client's kernel neighbour table.
//
//   cli  10.0.60.2  fd00:60::2 ─┐                    ┌─ cli2 10.0.61.2
//   n1   10.0.60.11 fd00:60::11 ├─ br0 (sw)  br0 (sw2) ┤  n1..n3 eth1 10.0.61.1x
//   n2   10.0.60.12 …           │                    │
//   n3   10.0.60.13 …          ─┘                    └─
//
// Every node holds the Service IPs on `lo` with arp_ignore=1 / arp_announce=2 (what
// kube-proxy's strictARP asks for), so its kernel delivers traffic for them but never
// answers ARP or NDP for them: only our speaker does. Addresses: 10.0.60.0/24, 10.0.61.0/24,
// 10.0.99.0/24 and fd00:60::/64, inside the lab's namespaces only.
//
// The frame injector (malformed frames) runs as a child of this file inside the client's
// namespace (SBX_L2_CHILD=1), with our packet socket door, as test/netns/native.test.ts does.

import assert from "node:assert/strict";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { IpAddress } from "../../protocol/ip/index.ts";
import {
  ArpOperation,
  decodeArp,
  decodeEthernet,
  EtherType,
  encodeArp,
  encodeEthernet,
  encodeHeartbeat,
  encodeIcmpv6,
  encodeIpv6,
  encodeNeighborSolicitation,
  HEARTBEAT_ETHERTYPE,
  HEARTBEAT_GROUP,
  ipv6MulticastMac,
  MacAddress,
  solicitedNodeAddress,
} from "../../protocol/l2/index.ts";
import { netsysAvailable, PacketSocket } from "../../src/platform/netsys.ts";
import type { L2Status } from "../../src/speaker/l2/runtime.ts";
import { arping, isCI, Lab, ndisc, need, ping, waitFor } from "./lib/index.ts";
import * as speaker from "./lib/speaker.ts";

const VIP4 = "10.0.60.200";
const VIP6 = "fd00:60::200";
const FAR4 = "10.0.99.5"; // in no subnet of the nodes: pool `far` limits it to eth0
const UNOWNED4 = "10.0.60.250"; // in the pool, held by no Service
const NODES = ["n1", "n2", "n3"] as const;

// ---------- the child: malformed frames from the client ----------

function badFrames(mac: MacAddress): Uint8Array[] {
  const vip4 = IpAddress.of(VIP4);
  const vip6 = IpAddress.of(VIP6);
  const me4 = IpAddress.of("10.0.60.2");
  const me6 = IpAddress.of("fd00:60::2");
  const arp = (payload: Uint8Array) =>
    encodeEthernet({ destination: MacAddress.BROADCAST, source: mac, etherType: EtherType.ARP, payload });
  const request = encodeArp({
    operation: ArpOperation.Request,
    senderMac: mac,
    senderIp: me4,
    targetMac: MacAddress.ZERO,
    targetIp: vip4,
  });
  const ns = (hopLimit: number, corrupt = false) => {
    const dst = solicitedNodeAddress(vip6);
    const icmp = encodeIcmpv6(
      {
        type: 135,
        code: 0,
        body: encodeNeighborSolicitation({
          target: vip6,
          options: [{ kind: "link-layer-address", type: 1, mac }],
        }),
      },
      me6,
      dst,
    );
    if (corrupt) icmp[2]! ^= 0xff;
    const ip = encodeIpv6(
      { trafficClass: 0, flowLabel: 0, nextHeader: 58, hopLimit, source: me6, destination: dst },
      icmp,
    );
    return encodeEthernet({
      destination: ipv6MulticastMac(dst),
      source: mac,
      etherType: EtherType.IPv6,
      payload: ip,
    });
  };
  const hb = encodeHeartbeat({
    node: "n1",
    incarnation: 1,
    sequence: 1,
    intervalMs: 100,
    holdMs: 350,
    ready: true,
    leaving: true,
  });
  const heartbeat = (payload: Uint8Array) =>
    encodeEthernet({ destination: HEARTBEAT_GROUP, source: mac, etherType: HEARTBEAT_ETHERTYPE, payload });
  const patched = (b: Uint8Array, at: number, v: number) => {
    const c = Uint8Array.from(b);
    c[at] = v;
    return c;
  };
  return [
    arp(request.subarray(0, 20)), // truncated ARP
    arp(patched(request, 1, 6)), // hardware type 6 (IEEE 802)
    arp(patched(request, 4, 8)), // hardware length 8
    ns(254), // forwarded by a router (RFC 4861 §7.1.1)
    ns(255, true), // bad checksum
    heartbeat(hb.subarray(0, 12)), // truncated: even a "leaving" flag must not count
    heartbeat(patched(hb, 2, 7)), // version 7
    heartbeat(patched(hb, 17, 0x20)), // a space in the node name
    heartbeat(patched(patched(hb, 6, 0), 7, 10)), // hold time shorter than the interval
    heartbeat(Uint8Array.from({ length: 50 }, (_, i) => (i * 37 + 11) & 0xff)), // garbage after the EtherType
  ];
}

async function child(): Promise<void> {
  const ifname = process.env["SBX_IFNAME"] ?? "eth0";
  const { readFileSync } = await import("node:fs");
  const mac = MacAddress.of(readFileSync(`/sys/class/net/${ifname}/address`, "utf8").trim());
  const sock = PacketSocket.open({ ifname });
  const answers: string[] = [];
  sock.onFrame((frame) => {
    const eth = decodeEthernet(frame);
    if (!eth.ok || !eth.value.destination.equals(mac)) return;
    if (eth.value.etherType === EtherType.ARP) {
      const a = decodeArp(eth.value.payload);
      if (a.ok && a.value.operation === ArpOperation.Reply)
        answers.push(`arp-reply from ${a.value.senderMac}`);
    }
    if (eth.value.etherType === EtherType.IPv6 && frame[20] === 58 && frame[54] === 136)
      answers.push("neighbor-advertisement");
  });
  const frames = badFrames(mac);
  for (const f of frames) sock.send(f);
  await new Promise((r) => setTimeout(r, 1500));
  sock.close();
  process.stdout.write(`${JSON.stringify({ sent: frames.length, answers })}\n`);
  process.exit(0);
}

// ---------- the test ----------

interface Status {
  layer2?: L2Status;
}

function configYaml(): string {
  return [
    "address-pools:",
    "- name: l2",
    "  protocol: layer2",
    "  addresses:",
    '  - "10.0.60.200-10.0.60.250"',
    '  - "fd00:60::200-fd00:60::250"',
    "- name: far",
    "  protocol: layer2",
    '  addresses: ["10.0.99.0/24"]',
    '  interfaces: ["eth0"]',
    "",
  ].join("\n");
}

if (process.env["SBX_L2_CHILD"] === "1") {
  await child();
} else {
  test("layer 2: three speakers answer ARP and NDP for Service IPs, fail over, ignore what they must", async (t) => {
    if (!need(t, ["arping", "ndisc6", "ping"])) return;
    if (!netsysAvailable()) {
      const why = "native addon native/build/netsys.node not built: run `npm run build:native`";
      if (isCI()) throw new Error(`CI=true and a prerequisite is missing: ${why}`);
      t.skip(why);
      return;
    }
    const lab = await Lab.create();
    t.after(() => lab.close());
    const sw = await lab.addBridge("sw");
    const sw2 = await lab.addBridge("sw2");
    const cli = await lab.addNamespace("cli");
    const cli2 = await lab.addNamespace("cli2");
    await lab.connectToBridge({ ns: cli, ifname: "eth0", addresses: ["10.0.60.2/24", "fd00:60::2/64"] }, sw);
    await lab.connectToBridge({ ns: cli2, ifname: "eth0", addresses: ["10.0.61.2/24"] }, sw2);
    const ns = new Map<string, string>();
    const macs = new Map<string, string>();
    for (const [i, n] of NODES.entries()) {
      const nns = await lab.addNamespace(n);
      ns.set(n, nns);
      await lab.connectToBridge(
        { ns: nns, ifname: "eth0", addresses: [`10.0.60.1${i + 1}/24`, `fd00:60::1${i + 1}/64`] },
        sw,
      );
      await lab.connectToBridge({ ns: nns, ifname: "eth1", addresses: [`10.0.61.1${i + 1}/24`] }, sw2);
      for (const a of [`${VIP4}/32`, `${FAR4}/32`, `${VIP6}/128`]) await lab.addAddress(nns, "lo", a);
      await lab.sysctl(nns, { "net.ipv4.conf.all.arp_ignore": "1", "net.ipv4.conf.all.arp_announce": "2" });
      macs.set(n, (await lab.run(nns, ["cat", "/sys/class/net/eth0/address"])).trim());
    }
    await lab.exec(cli, ["ip", "route", "add", "10.0.99.0/24", "dev", "eth0"], { check: true });

    const nodesObjects = NODES.map((name) => ({ apiVersion: "v1", kind: "Node", metadata: { name } }));
    const services: speaker.SpeakerService[] = [
      { name: "web", ips: [VIP4, VIP6] },
      { name: "far", ips: [FAR4] },
    ];
    const speakers = new Map<string, speaker.SignalboxSpeaker>();
    for (const n of NODES) {
      const sp = new speaker.SignalboxSpeaker(lab, ns.get(n)!, {
        node: n,
        peers: [],
        pools: [],
        services,
        objects: nodesObjects,
        bgpListen: "off",
      });
      speakers.set(n, sp);
    }
    // The helper writes a config from `pools`; ours needs `interfaces`, so write it by hand.
    for (const sp of speakers.values()) {
      await sp.start();
      sp.writeManifest("config.json", {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { namespace: "metallb-system", name: "config" },
        data: { config: configYaml() },
      });
    }
    const l2 = async (n: string): Promise<L2Status> => {
      const s = (await speakers.get(n)!.status()) as Status;
      if (s.layer2 === undefined) throw new Error(`${n}: no layer2 in /status`);
      return s.layer2;
    };
    const ownerOf = async (ip: string, among: readonly string[] = NODES): Promise<string[]> => {
      const out: string[] = [];
      for (const n of among) if ((await l2(n)).addresses.find((a) => a.ip === ip)?.answering) out.push(n);
      return out;
    };
    // Settled: everyone ready, hearing the two others, and one owner per Service IP.
    await waitFor(
      async () => {
        for (const n of NODES) {
          const s = await l2(n);
          if (!s.ready || s.members.filter((m) => m.state === "alive").length !== 2) return false;
        }
        for (const ip of [VIP4, VIP6, FAR4]) if ((await ownerOf(ip)).length !== 1) return false;
        return true;
      },
      {
        what: "three speakers ready, hearing each other, one owner per address",
        timeoutMs: 20_000,
        intervalMs: 200,
      },
    );
    const [w4] = await ownerOf(VIP4);
    const [w6] = await ownerOf(VIP6);

    await t.test("arping reaches the Service IP: one answer, from the elected node's MAC", async () => {
      const r = await arping(lab, cli, "eth0", VIP4, { count: 3, timeoutSec: 4 });
      assert.deepEqual(r.macs, [macs.get(w4!)], r.output);
      assert.equal(r.replies, 3, r.output);
      const other = NODES.find((n) => n !== w4)!;
      const s = (await l2(other)).addresses.find((a) => a.ip === VIP4)!;
      assert.equal(s.answering, false);
      assert.equal(s.reason, "notElected");
      assert.equal(s.winner, w4);
    });

    await t.test("ping reaches it, and the client's neighbour table holds the elected MAC", async () => {
      assert.ok((await ping(lab, cli, VIP4, { count: 2, interval: 0.2 })) >= 1);
      const neigh = await lab.run(cli, ["ip", "neigh", "show", VIP4, "dev", "eth0"]);
      assert.match(neigh, new RegExp(`lladdr ${macs.get(w4!)}`), neigh);
    });

    await t.test("IPv6: ndisc6 gets the elected MAC; ping -6 reaches the Service IP", async () => {
      assert.equal(await ndisc(lab, cli, "eth0", VIP6), macs.get(w6!));
      assert.ok((await ping(lab, cli, VIP6, { count: 2, interval: 0.2 })) >= 1);
      const neigh = await lab.run(cli, ["ip", "-6", "neigh", "show", VIP6, "dev", "eth0"]);
      assert.match(neigh, new RegExp(`lladdr ${macs.get(w6!)}`), neigh);
    });

    await t.test("no answer for an address no Service holds", async () => {
      const r = await arping(lab, cli, "eth0", UNOWNED4, { count: 2, timeoutSec: 2 });
      assert.equal(r.replies, 0, r.output);
    });

    await t.test("no answer on interfaces the address does not belong to", async () => {
      // 10.0.60.200 lives on eth0's subnet: not answered on eth1.
      const a = await arping(lab, cli2, "eth0", VIP4, { count: 2, timeoutSec: 2 });
      assert.equal(a.replies, 0, a.output);
      // 10.0.99.5 is in no subnet, and its pool says interfaces: [eth0].
      const b = await arping(lab, cli2, "eth0", FAR4, { count: 2, timeoutSec: 2 });
      assert.equal(b.replies, 0, b.output);
      const [wf] = await ownerOf(FAR4);
      const c = await arping(lab, cli, "eth0", FAR4, { count: 2, timeoutSec: 3 });
      assert.deepEqual(c.macs, [macs.get(wf!)], c.output);
      assert.deepEqual((await l2(wf!)).addresses.find((x) => x.ip === FAR4)!.interfaces, ["eth0"]);
    });

    await t.test("malformed frames change nothing and get no answer", async () => {
      const before = new Map<string, { owners: string[]; malformed: number }>();
      for (const ip of [VIP4, VIP6]) before.set(ip, { owners: await ownerOf(ip), malformed: 0 });
      const counters = async () => {
        let hb = 0;
        let invalid = 0;
        let malformed = 0;
        for (const n of NODES) {
          const c = (await l2(n)).counters;
          hb += c.heartbeatsMalformed;
          invalid += c.ignored.invalid ?? 0;
          malformed += c.ignored.malformed ?? 0;
        }
        return { hb, invalid, malformed };
      };
      const c0 = await counters();
      const inj = lab.spawn(
        cli,
        [process.execPath, "--disable-warning=ExperimentalWarning", fileURLToPath(import.meta.url)],
        {
          env: { SBX_L2_CHILD: "1", SBX_IFNAME: "eth0" },
        },
      );
      const out = await waitFor(() => (inj.running ? "" : inj.logTail(5) || "(no output)"), {
        what: "the frame injector to finish",
        timeoutMs: 10_000,
      });
      const line = out.split("\n").find((l) => l.startsWith("{"));
      assert.ok(line, out);
      const r = JSON.parse(line) as { sent: number; answers: string[] };
      assert.equal(r.sent, 10);
      assert.deepEqual(r.answers, [], "no ARP reply or NA to any malformed frame");
      const c1 = await counters();
      // Each node sees every frame: 5 bad heartbeats (the 64-octet one too) ×3, 3 bad ARP, 2 invalid NS at the owner.
      assert.equal(c1.hb - c0.hb, 15, JSON.stringify({ c0, c1 }));
      assert.ok(c1.malformed - c0.malformed >= 9, JSON.stringify({ c0, c1 }));
      assert.ok(c1.invalid - c0.invalid >= 2, JSON.stringify({ c0, c1 }));
      for (const [ip, b] of before) assert.deepEqual(await ownerOf(ip), b.owners, ip);
      for (const sp of speakers.values()) assert.ok(sp.daemon?.running);
      const again = await arping(lab, cli, "eth0", VIP4, { count: 1, timeoutSec: 2 });
      assert.deepEqual(again.macs, [macs.get(w4!)]);
    });

    await t.test("killing the announcing speaker moves the MAC in the client's neighbour table", async () => {
      // Entries for both families exist (the pings above); the new owner's gratuitous ARP and
      // unsolicited NA must override them.
      const killed = w4!;
      await speakers.get(killed)!.kill();
      const survivors = NODES.filter((n) => n !== killed);
      const t0 = Date.now();
      const [n4] = await waitFor(() => ownerOf(VIP4, survivors), {
        what: `a survivor answering for ${VIP4}`,
        until: (o) => o.length === 1,
        timeoutMs: 5000,
        intervalMs: 50,
      });
      const neigh = await waitFor(() => lab.run(cli, ["ip", "neigh", "show", VIP4, "dev", "eth0"]), {
        what: `the client's ARP entry for ${VIP4} to show ${n4}'s MAC`,
        until: (s) => s.includes(`lladdr ${macs.get(n4!)}`),
        timeoutMs: 5000,
        intervalMs: 20,
      });
      t.diagnostic(`IPv4 entry moved ${killed} → ${n4} within ${Date.now() - t0} ms: ${neigh.trim()}`);
      assert.ok((await ping(lab, cli, VIP4, { count: 1 })) === 1);
      if (w6 === killed) {
        const [n6] = await waitFor(() => ownerOf(VIP6, survivors), {
          what: `a survivor answering for ${VIP6}`,
          until: (o) => o.length === 1,
          timeoutMs: 5000,
        });
        await waitFor(() => lab.run(cli, ["ip", "-6", "neigh", "show", VIP6, "dev", "eth0"]), {
          what: `the client's NDP entry for ${VIP6} to show ${n6}'s MAC`,
          until: (s) => s.includes(`lladdr ${macs.get(n6!)}`),
          timeoutMs: 5000,
          intervalMs: 20,
        });
      }
      // Exactly one survivor answers arping now.
      const r = await arping(lab, cli, "eth0", VIP4, { count: 2, timeoutSec: 3 });
      assert.deepEqual(r.macs, [macs.get(n4!)], r.output);
      const s = await l2(survivors.find((n) => n !== n4) ?? n4!);
      assert.equal(s.members.find((m) => m.node === killed)?.state, "suspect");
    });
    await t.test(
      "the killed node comes back and takes its address home; SIGTERM hands IPv6 over at once",
      async () => {
        await speakers.get(w4!)!.start();
        await waitFor(
          async () => {
            for (const n of NODES) {
              const st = await l2(n);
              if (!st.ready || st.members.filter((m) => m.state === "alive").length !== 2) return false;
            }
            return (await ownerOf(VIP4)).join() === w4;
          },
          { what: `${w4} back and answering for ${VIP4} again`, timeoutMs: 20_000, intervalMs: 200 },
        );
        await waitFor(() => lab.run(cli, ["ip", "neigh", "show", VIP4, "dev", "eth0"]), {
          what: `the client's ARP entry back on ${w4}'s MAC`,
          until: (x) => x.includes(`lladdr ${macs.get(w4!)}`),
          timeoutMs: 5000,
          intervalMs: 50,
        });
        // Graceful stop, of the node answering for the IPv6 address this time: the leaving
        // heartbeat makes the others take over without a hold time, and the unsolicited NA
        // (Override) moves the client's NDP entry.
        const [o6] = await ownerOf(VIP6);
        await ping(lab, cli, VIP6, { count: 1 });
        await speakers.get(o6!)!.stop();
        const survivors = NODES.filter((n) => n !== o6);
        for (const n of survivors)
          assert.equal((await l2(n)).members.find((m) => m.node === o6)?.state, "left");
        const [n6] = await waitFor(() => ownerOf(VIP6, survivors), {
          what: `a survivor answering for ${VIP6}`,
          until: (o) => o.length === 1,
          timeoutMs: 5000,
          intervalMs: 50,
        });
        await waitFor(() => lab.run(cli, ["ip", "-6", "neigh", "show", VIP6, "dev", "eth0"]), {
          what: `the client's NDP entry for ${VIP6} on ${n6}'s MAC`,
          until: (x) => x.includes(`lladdr ${macs.get(n6!)}`),
          timeoutMs: 5000,
          intervalMs: 20,
        });
        assert.equal(await ndisc(lab, cli, "eth0", VIP6), macs.get(n6!));
        assert.ok((await ping(lab, cli, VIP6, { count: 1 })) === 1);
      },
    );
  });
}
