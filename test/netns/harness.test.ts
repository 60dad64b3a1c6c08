// Self-test of the network harness, without our speaker: real routers talk to each other in
// namespaces this file creates, and everything is gone afterwards. If these pass, a failing
// interop test points at the speaker, not at the harness.

import assert from "node:assert/strict";
import { after, test } from "node:test";
import {
  arping,
  bird,
  capture,
  Daemon,
  exabgp,
  frr,
  gobgp,
  isAlive,
  type KernelNextHop,
  Lab,
  macOf,
  missingPrerequisites,
  ndisc,
  need,
  neighbours,
  ping,
  sbxNamespaces,
  WaitTimeoutError,
  waitFor,
} from "./lib/index.ts";

const labs: Lab[] = [];
async function newLab(): Promise<Lab> {
  const lab = await Lab.create();
  labs.push(lab);
  return lab;
}

// Whatever happens in a test, its lab is closed and must have left nothing behind.
after(async () => {
  for (const lab of labs) await lab.close();
  for (const lab of labs)
    assert.deepEqual(lab.remainingNamespaces(), [], `namespaces of run ${lab.runId} remain`);
});

/** Closes the lab and checks that its namespaces and processes are gone. */
async function closeAndCheck(lab: Lab): Promise<void> {
  const pids = lab.daemons.map((d) => d.pid);
  await lab.close();
  await lab.close(); // safe twice
  assert.deepEqual(lab.remainingNamespaces(), []);
  assert.equal(
    sbxNamespaces().filter((n) => n.startsWith(lab.prefix)).length,
    0,
    "no sbx- namespace of this run remains",
  );
  for (const pid of pids) assert.equal(isAlive(pid), false, `pid ${pid} still alive`);
}

function gateways(hops: KernelNextHop[]): string[] {
  return hops.map((h) => h.gateway ?? "").sort();
}

test("waitFor names what it waited for and the last value it saw", async () => {
  let n = 0;
  await assert.rejects(
    waitFor(() => ++n, { what: "n to reach 1000", timeoutMs: 250, intervalMs: 50, until: (v) => v >= 1000 }),
    (err: unknown) => {
      assert.ok(err instanceof WaitTimeoutError);
      assert.match(err.message, /timed out after 250 ms waiting for n to reach 1000; last seen: \d+/);
      return true;
    },
  );
  assert.equal(await waitFor(() => "ok", { what: "a truthy value" }), "ok");
});

test("prerequisites: a missing tool is named with its Debian package", () => {
  assert.equal(missingPrerequisites(["bird", "frr", "gobgp", "exabgp"]), undefined);
  const why = missingPrerequisites(["bird", "frr"], (f) =>
    f === "birdc" || f.endsWith("/bgpd") ? undefined : f,
  );
  assert.match(why ?? "", /missing birdc, \/usr\/lib\/frr\/bgpd: install the Debian package\(s\) bird2 frr/);
});

test("lab: namespaces, veth, bridge, addresses, link down/up, exec, spawn, cleanup", async (t) => {
  if (!need(t, ["ping"])) return;
  const lab = await newLab();
  const sw = await lab.addBridge("sw");
  const a = await lab.addNamespace("a");
  const b = await lab.addNamespace("b");
  assert.ok(a.startsWith(`sbx-${lab.runId}-`));
  await lab.connectToBridge({ ns: a, ifname: "eth0", addresses: ["10.0.0.1/24", "fd00::1/64"] }, sw);
  await lab.connectToBridge({ ns: b, ifname: "eth0", addresses: ["10.0.0.2/24", "fd00::2/64"] }, sw);
  // IPv6 usable at once: no DAD.
  const ping6 = await lab.exec(a, ["ping", "-6", "-c", "1", "-W", "2", "fd00::2"], { timeoutMs: 5000 });
  assert.equal(ping6.code, 0, ping6.stdout + ping6.stderr);
  assert.equal((await lab.exec(a, ["ping", "-c", "1", "-W", "2", "10.0.0.2"], { timeoutMs: 5000 })).code, 0);
  await lab.setLink(b, "eth0", "down");
  const down = await lab.exec(a, ["ping", "-c", "1", "-W", "1", "10.0.0.2"], { timeoutMs: 5000 });
  assert.notEqual(down.code, 0, "no answer while the link is down");
  await lab.setLink(b, "eth0", "up");
  await waitFor(async () => (await lab.exec(a, ["ping", "-c", "1", "-W", "1", "10.0.0.2"])).code === 0, {
    what: "ping after link up",
    timeoutMs: 5000,
  });
  // exec is bounded
  const slow = await lab.exec(a, ["sleep", "5"], { timeoutMs: 200 });
  assert.ok(slow.timedOut);
  // spawn is tracked; close() stops it by PID, and kills strays inside the namespace too
  const d = lab.spawn(b, ["sleep", "300"]);
  assert.ok(d instanceof Daemon && d.running);
  const stray = await lab.exec(b, ["sh", "-c", "setsid sleep 300 >/dev/null 2>&1 & echo $!"]);
  const strayPid = Number(stray.stdout.trim());
  assert.ok(strayPid > 0);
  await closeAndCheck(lab);
  assert.equal(d.running, false);
  assert.equal(isAlive(strayPid), false, "a process left in a namespace is killed too");
});

test("layer 2 tools: arping, ndisc6, neighbour table and tcpdump on a bridge", async (t) => {
  if (!need(t, ["arping", "ndisc6", "ping", "tcpdump"])) return;
  const lab = await newLab();
  const sw = await lab.addBridge("sw");
  const client = await lab.addNamespace("client");
  const node = await lab.addNamespace("node");
  await lab.connectToBridge(
    { ns: client, ifname: "eth0", addresses: ["172.16.0.1/24", "fd00:16::1/64"] },
    sw,
  );
  await lab.connectToBridge({ ns: node, ifname: "eth0", addresses: ["172.16.0.2/24", "fd00:16::2/64"] }, sw);
  const nodeMac = await macOf(lab, node, "eth0");
  const cap = await capture(lab, node, "eth0", ["arp"]);
  const a = await arping(lab, client, "eth0", "172.16.0.2", { count: 2 });
  assert.ok(a.replies >= 1, a.output);
  assert.deepEqual(a.macs, [nodeMac]);
  assert.equal(await ndisc(lab, client, "eth0", "fd00:16::2"), nodeMac);
  assert.equal(await ping(lab, client, "fd00:16::2"), 1);
  const table = await neighbours(lab, client, "eth0");
  assert.ok(
    table.some((n) => n.dst === "fd00:16::2" && n.lladdr === nodeMac),
    JSON.stringify(table),
  );
  // No answer for an address nobody owns.
  assert.equal((await arping(lab, client, "eth0", "172.16.0.99", { count: 1, timeoutSec: 1 })).replies, 0);
  const pcap = await cap.stop();
  const read = await lab.exec(undefined, ["tcpdump", "-n", "-r", pcap], { timeoutMs: 5000 });
  assert.match(read.stdout, /Request who-has 172\.16\.0\.2/);
  await closeAndCheck(lab);
});

test("BIRD <-> FRR: eBGP over IPv4 and IPv6, routes with communities both ways, restart", async (t) => {
  if (!need(t, ["bird", "frr"])) return;
  const started = Date.now();
  const lab = await newLab();
  const nb = await lab.addNamespace("bird");
  const nf = await lab.addNamespace("frr");
  await lab.addVeth(
    { ns: nb, ifname: "eth0", addresses: ["10.0.1.1/24", "fd00:1::1/64"] },
    { ns: nf, ifname: "eth0", addresses: ["10.0.1.2/24", "fd00:1::2/64"] },
  );
  const b = await bird.start(lab, nb, {
    asn: 65001,
    routerId: "10.0.1.1",
    neighbors: [
      { address: "10.0.1.2", peerAs: 65002, holdTime: 6 },
      { address: "fd00:1::2", peerAs: 65002, holdTime: 6 },
    ],
    routes: [
      { prefix: "10.100.0.1/32", communities: ["65001:100"], largeCommunities: ["65001:1:2"], med: 7 },
      { prefix: "fd00:100::1/128", communities: ["65001:600"] },
    ],
  });
  const f = await frr.start(lab, nf, {
    asn: 65002,
    routerId: "10.0.1.2",
    neighbors: [
      { address: "10.0.1.1", peerAs: 65001, holdTime: 6 },
      { address: "fd00:1::1", peerAs: 65001, holdTime: 6 },
    ],
    routes: [{ prefix: "10.100.0.2/32", communities: ["65002:200"], largeCommunities: ["65002:3:4"] }],
  });
  for (const [r, peer] of [
    [b, "10.0.1.2"],
    [b, "fd00:1::2"],
    [f, "10.0.1.1"],
    [f, "fd00:1::1"],
  ] as const) {
    const s = await r.waitEstablished(peer);
    assert.equal(s.state, "Established");
  }
  const [atFrr] = await f.waitRoute("10.100.0.1/32");
  assert.deepEqual(atFrr?.communities, ["65001:100"]);
  assert.deepEqual(atFrr?.largeCommunities, ["65001:1:2"]);
  assert.equal(atFrr?.med, 7);
  assert.deepEqual(atFrr?.asPath, [65001]);
  assert.deepEqual(atFrr?.nextHops, ["10.0.1.1"]);
  const [v6] = await f.waitRoute("fd00:100::1/128");
  assert.deepEqual(v6?.communities, ["65001:600"]);
  assert.ok(v6?.nextHops.includes("fd00:1::1"), JSON.stringify(v6));
  const [atBird] = await b.waitRoute("10.100.0.2/32");
  assert.deepEqual(atBird?.communities, ["65002:200"]);
  assert.deepEqual(atBird?.largeCommunities, ["65002:3:4"]);
  assert.equal(atBird?.origin, "IGP");
  // Both program their kernels.
  await waitFor(async () => gateways(await f.kernelRoutes("10.100.0.1/32")), {
    what: "FRR kernel route to 10.100.0.1/32 via BIRD",
    until: (g) => g.join() === "10.0.1.1",
  });
  await waitFor(async () => gateways(await b.kernelRoutes("10.100.0.2/32")), {
    what: "BIRD kernel route to 10.100.0.2/32 via FRR",
    until: (g) => g.join() === "10.0.1.2",
  });
  // Announce and withdraw at run time.
  await b.announce({ prefix: "10.100.0.3/32", communities: ["65001:300"] });
  await f.waitRoute("10.100.0.3/32", { until: (p) => p[0]?.communities.join() === "65001:300" });
  await b.withdraw("10.100.0.3/32");
  await f.waitNoRoute("10.100.0.3/32");
  await f.announce({ prefix: "fd00:100::2/128", communities: ["65002:600"] });
  await b.waitRoute("fd00:100::2/128", { until: (p) => p[0]?.communities.join() === "65002:600" });
  // FRR restarts: the session comes back and the routes with it.
  await f.restart();
  await b.waitEstablished("10.0.1.2");
  await b.waitRoute("10.100.0.2/32");
  await b.waitRoute("fd00:100::2/128");
  await closeAndCheck(lab);
  t.diagnostic(`took ${Date.now() - started} ms`);
});

test("GoBGP <-> ExaBGP: passive GoBGP, MD5, routes both ways, scripted announce, silent peer", async (t) => {
  if (!need(t, ["gobgp", "exabgp"])) return;
  const started = Date.now();
  const lab = await newLab();
  const ng = await lab.addNamespace("gobgp");
  const ne = await lab.addNamespace("exa");
  await lab.addVeth(
    { ns: ng, ifname: "eth0", addresses: ["10.0.2.1/24"] },
    { ns: ne, ifname: "eth0", addresses: ["10.0.2.2/24"] },
  );
  const e = await exabgp.start(lab, ne, {
    asn: 65004,
    routerId: "10.0.2.2",
    neighbors: [{ address: "10.0.2.1", peerAs: 65003, holdTime: 3, password: "s3cret" }],
    routes: [
      { prefix: "10.100.0.4/32", communities: ["65004:400"], largeCommunities: ["65004:5:6"], med: 4 },
    ],
  });
  const g = await gobgp.start(lab, ng, {
    asn: 65003,
    routerId: "10.0.2.1",
    neighbors: [{ address: "10.0.2.2", peerAs: 65004, passive: true, holdTime: 3, password: "s3cret" }],
    routes: [{ prefix: "10.100.0.3/32", communities: ["65003:300"], largeCommunities: ["65003:7:8"] }],
  });
  await g.waitEstablished("10.0.2.2");
  await e.waitEstablished("10.0.2.1");
  const [atGobgp] = await g.waitRoute("10.100.0.4/32");
  assert.deepEqual(atGobgp?.communities, ["65004:400"]);
  assert.deepEqual(atGobgp?.largeCommunities, ["65004:5:6"]);
  assert.equal(atGobgp?.med, 4);
  assert.deepEqual(atGobgp?.nextHops, ["10.0.2.2"]);
  const [atExa] = await e.waitRoute("10.100.0.3/32");
  assert.deepEqual(atExa?.communities, ["65003:300"]);
  assert.deepEqual(atExa?.largeCommunities, ["65003:7:8"]);
  assert.deepEqual(atExa?.asPath, [65003]);
  assert.deepEqual(atExa?.nextHops, ["10.0.2.1"]);
  // ExaBGP as a scripted peer: announce and withdraw through its API.
  await e.announce({ prefix: "10.100.0.5/32", communities: ["65004:500"] });
  await g.waitRoute("10.100.0.5/32", { until: (p) => p[0]?.communities.join() === "65004:500" });
  await e.withdraw("10.100.0.5/32");
  await g.waitNoRoute("10.100.0.5/32");
  await g.withdraw("10.100.0.3/32");
  await e.waitNoRoute("10.100.0.3/32");
  // A silent peer: GoBGP's hold timer (3 s) expires while ExaBGP is stopped.
  e.pause();
  await waitFor(() => g.sessionState("10.0.2.2"), {
    what: "GoBGP to drop the silent ExaBGP session",
    timeoutMs: 10_000,
    until: (s) => !s.established,
  });
  e.resume();
  await g.waitEstablished("10.0.2.2", 30_000);
  await g.waitRoute("10.100.0.4/32");
  await closeAndCheck(lab);
  t.diagnostic(`took ${Date.now() - started} ms`);
});

test("ECMP: two BIRD speakers announce one /32 to an FRR ToR; its kernel has both next hops", async (t) => {
  if (!need(t, ["bird", "frr"])) return;
  const started = Date.now();
  const lab = await newLab();
  const sw = await lab.addBridge("sw");
  const tor = await lab.addNamespace("tor");
  await lab.connectToBridge({ ns: tor, ifname: "eth0", addresses: ["10.0.3.1/24"] }, sw);
  const f = await frr.start(lab, tor, {
    asn: 65100,
    routerId: "10.0.3.1",
    multipath: 4,
    neighbors: [
      { address: "10.0.3.11", peerAs: 65111, holdTime: 3, passive: true },
      { address: "10.0.3.12", peerAs: 65112, holdTime: 3, passive: true },
    ],
  });
  const speakers = [];
  for (const i of [11, 12]) {
    const ns = await lab.addNamespace(`node${i}`);
    await lab.connectToBridge({ ns, ifname: "eth0", addresses: [`10.0.3.${i}/24`] }, sw);
    speakers.push(
      await bird.start(lab, ns, {
        asn: 65100 + i,
        routerId: `10.0.3.${i}`,
        neighbors: [{ address: "10.0.3.1", peerAs: 65100, holdTime: 3 }],
        routes: [{ prefix: "10.200.0.1/32" }],
      }),
    );
  }
  await f.waitEstablished("10.0.3.11");
  await f.waitEstablished("10.0.3.12");
  await f.waitRoute("10.200.0.1/32", { until: (p) => p.length === 2 });
  await waitFor(async () => gateways(await f.kernelRoutes("10.200.0.1/32")), {
    what: "two next hops for 10.200.0.1/32 in the ToR's kernel",
    until: (g) => g.join() === "10.0.3.11,10.0.3.12",
  });
  // Link failure on one node (the ToR's own port stays up, so its hold timer, 3 s, notices):
  // the ToR falls back to the other next hop.
  await lab.setLink(speakers[0]!.ns, "eth0", "down");
  await waitFor(async () => gateways(await f.kernelRoutes("10.200.0.1/32")), {
    what: "one next hop left after node11's link went down",
    timeoutMs: 15_000,
    until: (g) => g.join() === "10.0.3.12",
  });
  await closeAndCheck(lab);
  t.diagnostic(`took ${Date.now() - started} ms`);
});

test("ECMP: two GoBGP speakers announce one /32 to a BIRD ToR with merge paths", async (t) => {
  if (!need(t, ["bird", "gobgp"])) return;
  const started = Date.now();
  const lab = await newLab();
  const sw = await lab.addBridge("sw");
  const tor = await lab.addNamespace("tor");
  await lab.connectToBridge({ ns: tor, ifname: "eth0", addresses: ["10.0.4.1/24", "fd00:4::1/64"] }, sw);
  const b = await bird.start(lab, tor, {
    asn: 65200,
    routerId: "10.0.4.1",
    multipath: true,
    neighbors: [
      { address: "fd00:4::11", peerAs: 65211, holdTime: 6 },
      { address: "fd00:4::12", peerAs: 65212, holdTime: 6 },
    ],
  });
  for (const i of [11, 12]) {
    const ns = await lab.addNamespace(`node${i}`);
    await lab.connectToBridge({ ns, ifname: "eth0", addresses: [`10.0.4.${i}/24`, `fd00:4::${i}/64`] }, sw);
    await gobgp.start(lab, ns, {
      asn: 65200 + i,
      routerId: `10.0.4.${i}`,
      neighbors: [{ address: "fd00:4::1", peerAs: 65200, holdTime: 6 }],
      routes: [{ prefix: "fd00:200::1/128" }],
    });
  }
  await b.waitEstablished("fd00:4::11");
  await b.waitEstablished("fd00:4::12");
  await b.waitRoute("fd00:200::1/128", { until: (p) => p.length === 2 });
  const hops = await waitFor(async () => await b.kernelRoutes("fd00:200::1/128"), {
    what: "two next hops for fd00:200::1/128 in the BIRD ToR's kernel",
    until: (h) => h.length === 2,
  });
  assert.equal(new Set(hops.map((h) => h.gateway)).size, 2, JSON.stringify(hops));
  await closeAndCheck(lab);
  t.diagnostic(`took ${Date.now() - started} ms`);
});

test("graceful restart: BIRD on port 1179 crashes (SIGKILL); the FRR ToR keeps its route, stale, until it is back", async (t) => {
  if (!need(t, ["bird", "frr"])) return;
  const started = Date.now();
  const lab = await newLab();
  const tor = await lab.addNamespace("tor");
  const node = await lab.addNamespace("node");
  await lab.addVeth(
    { ns: tor, ifname: "eth0", addresses: ["10.0.5.1/24"] },
    { ns: node, ifname: "eth0", addresses: ["10.0.5.2/24"] },
  );
  const gr = { gracefulRestart: true, restartTime: 20, holdTime: 6 };
  const f = await frr.start(lab, tor, {
    asn: 65000,
    routerId: "10.0.5.1",
    listenPort: 1179,
    neighbors: [{ address: "10.0.5.2", peerAs: 65001, passive: true, ...gr }],
  });
  const b = await bird.start(lab, node, {
    asn: 65001,
    routerId: "10.0.5.2",
    neighbors: [{ address: "10.0.5.1", port: 1179, peerAs: 65000, ...gr }],
    routes: [{ prefix: "10.100.0.9/32" }],
  });
  await f.waitEstablished("10.0.5.2");
  await f.waitRoute("10.100.0.9/32");
  await b.kill();
  await waitFor(() => f.sessionState("10.0.5.2"), {
    what: "FRR to notice BIRD is gone",
    until: (s) => !s.established,
  });
  const [stale] = await f.waitRoute("10.100.0.9/32", { until: (p) => p[0]?.stale === true });
  assert.deepEqual(stale?.nextHops, ["10.0.5.2"]);
  assert.deepEqual(gateways(await f.kernelRoutes("10.100.0.9/32")), ["10.0.5.2"], "still forwarding");
  await b.start();
  await f.waitEstablished("10.0.5.2");
  await f.waitRoute("10.100.0.9/32", { until: (p) => p[0]?.stale !== true });
  await closeAndCheck(lab);
  t.diagnostic(`took ${Date.now() - started} ms`);
});
