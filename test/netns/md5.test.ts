// TCP MD5 signatures (RFC 2385) and GTSM (RFC 5082) between our speaker and real routers, the
// options set through our N-API addon (src/platform/tcp.ts).
//
// 1. FRR and BIRD, each with an IPv4 and an IPv6 session, every one with its own password:
//    for each router one session where we connect (the router is passive) and one where the
//    router connects to our listener (we are passive), so keys are tested on our active
//    sockets and on the listening socket (IPv4 peers there as ::ffff:a.b.c.d). All reach
//    Established and deliver the route.
// 2. A wrong password never reaches Established, and /status says what to check without the
//    password; fixed, it comes up. A password change restarts the session (Cease / Other
//    Configuration Change, RFC 4486) and, once the router has the new key too, it comes back.
//    No password ever appears in /status, /metrics or the log.
// 3. GTSM: a directly connected FRR with `ttl-security hops 1` peers with us; an FRR one hop
//    further away never does while ttl-security is on, and does once it is off.
//
// Hold time 3 s; waits are bounded; each lab removes its namespaces and processes.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, test } from "node:test";
import { netsysAvailable } from "../../src/platform/netsys.ts";
import { bird, frr, Lab, need, waitFor } from "./lib/index.ts";
import type { SignalboxSpeaker } from "./lib/speaker.ts";
import * as speaker from "./lib/speaker.ts";

const labs: Lab[] = [];
after(async () => {
  for (const lab of labs) await lab.close();
  for (const lab of labs)
    assert.deepEqual(lab.remainingNamespaces(), [], `namespaces of ${lab.runId} remain`);
});

async function newLab(): Promise<Lab> {
  const lab = await Lab.create();
  labs.push(lab);
  return lab;
}

const TOR_AS = 65000;
const OUR_AS = 65061;
const HOLD = 3;

/** The addon is needed for every test here; missing, it fails under CI and skips elsewhere. */
function needAddon(t: { skip(message: string): void }): boolean {
  if (netsysAvailable()) return true;
  if (process.env["CI"] === "true") throw new Error("native addon not built: run `npm run build:native`");
  t.skip("native addon not built (npm run build:native)");
  return false;
}

/** /status, /metrics and the log of our speaker, as text, to check no password leaks. */
async function everythingShown(lab: Lab, sp: SignalboxSpeaker): Promise<string> {
  const status = JSON.stringify(await sp.status());
  const metrics = await lab.exec(sp.ns, ["curl", "-sS", "--max-time", "2", "http://127.0.0.1:7473/metrics"], {
    timeoutMs: 3000,
  });
  const log = sp.daemon ? readFileSync(sp.daemon.logFile, "utf8") : "";
  return `${status}\n${metrics.stdout}\n${log}`;
}

test("TCP MD5 with FRR and BIRD, active and passive, IPv4 and IPv6", async (t) => {
  if (!need(t, ["frr", "bird"]) || !needAddon(t)) return;
  const lab = await newLab();
  const nsFrr = await lab.addNamespace("frr");
  const nsBird = await lab.addNamespace("bird");
  const node = await lab.addNamespace("node");
  await lab.addVeth(
    { ns: nsFrr, ifname: "eth0", addresses: ["10.0.61.1/24", "fd00:61::1/64"] },
    { ns: node, ifname: "eth0", addresses: ["10.0.61.2/24", "fd00:61::2/64"] },
  );
  await lab.addVeth(
    { ns: nsBird, ifname: "eth0", addresses: ["10.0.62.1/24", "fd00:62::1/64"] },
    { ns: node, ifname: "eth1", addresses: ["10.0.62.2/24", "fd00:62::2/64"] },
  );
  const keys = {
    frr4: "frr-v4-key.with.dots",
    frr6: "frr-v6-Key!",
    bird4: "bird-v4-key",
    bird6: "bird-v6-key-0123456789",
  };
  // FRR: we connect over IPv6 (FRR passive), FRR connects over IPv4 (we are passive).
  // BIRD: we connect over IPv4, BIRD connects over IPv6.
  const f = await frr.start(lab, nsFrr, {
    asn: TOR_AS,
    routerId: "10.0.61.1",
    kernel: false,
    neighbors: [
      { address: "10.0.61.2", peerAs: OUR_AS, holdTime: HOLD, password: keys.frr4 },
      { address: "fd00:61::2", peerAs: OUR_AS, holdTime: HOLD, password: keys.frr6, passive: true },
    ],
  });
  const b = await bird.start(lab, nsBird, {
    asn: TOR_AS,
    routerId: "10.0.62.1",
    kernel: false,
    neighbors: [
      { address: "10.0.62.2", peerAs: OUR_AS, holdTime: HOLD, password: keys.bird4, passive: true },
      { address: "fd00:62::2", peerAs: OUR_AS, holdTime: HOLD, password: keys.bird6 },
    ],
  });
  const peer = (address: string, password: string, passive: boolean) => ({
    address,
    peerAsn: TOR_AS,
    myAsn: OUR_AS,
    routerId: "10.0.61.2",
    password,
    passive,
  });
  const sp = await speaker.start(lab, node, {
    peers: [
      peer("10.0.61.1", keys.frr4, true),
      peer("fd00:61::1", keys.frr6, false),
      peer("10.0.62.1", keys.bird4, false),
      peer("fd00:62::1", keys.bird6, true),
    ],
    pools: [{ name: "p", addresses: ["10.100.61.0/28", "fd00:100:61::/120"] }],
    services: [{ name: "web", ips: ["10.100.61.1", "fd00:100:61::1"] }],
  });
  for (const [address, by] of [
    ["10.0.61.1", "peer"],
    ["fd00:61::1", "us"],
    ["10.0.62.1", "us"],
    ["fd00:62::1", "peer"],
  ] as const) {
    const s = await sp.waitEstablished(address);
    assert.equal(s.connection?.initiatedBy, by, `${address}: ${JSON.stringify(s.connection)}`);
    assert.deepEqual((s as unknown as { transport: unknown }).transport, { md5: true, ttlSecurity: false });
  }
  for (const [r, a4, a6] of [
    [f, "10.0.61.2", "fd00:61::2"],
    [b, "10.0.62.2", "fd00:62::2"],
  ] as const) {
    await r.waitEstablished(a4);
    await r.waitEstablished(a6);
    const [p4] = await r.waitRoute("10.100.61.1/32");
    assert.deepEqual(p4?.asPath, [OUR_AS], `${r.kind}: ${JSON.stringify(p4)}`);
    await r.waitRoute("fd00:100:61::1/128");
  }
  const shown = await everythingShown(lab, sp);
  for (const k of Object.values(keys))
    assert.ok(!shown.includes(k), "a password shows in status, metrics or log");
});

test("wrong password: never Established, /status says so; a password change restarts the session", async (t) => {
  if (!need(t, ["frr"]) || !needAddon(t)) return;
  const lab = await newLab();
  const tor = await lab.addNamespace("tor");
  const node = await lab.addNamespace("node");
  await lab.addVeth(
    { ns: tor, ifname: "eth0", addresses: ["10.0.63.1/24"] },
    { ns: node, ifname: "eth0", addresses: ["10.0.63.2/24"] },
  );
  const right = "the-right-key";
  const wrong = "a-wrong-key";
  const next = "the-next-key";
  const f = await frr.start(lab, tor, {
    asn: TOR_AS,
    routerId: "10.0.63.1",
    kernel: false,
    neighbors: [{ address: "10.0.63.2", peerAs: OUR_AS, holdTime: HOLD, password: right }],
  });
  const config = (password: string) => ({
    peers: [{ address: "10.0.63.1", peerAsn: TOR_AS, myAsn: OUR_AS, routerId: "10.0.63.2", password }],
    pools: [{ name: "p", addresses: ["10.100.63.0/28"] }],
  });
  const sp = await speaker.start(lab, node, {
    ...config(wrong),
    services: [{ name: "web", ips: ["10.100.63.1"] }],
  });

  // Both sides connect, both kernels drop the other's SYNs: no TCP connection, ever.
  const stuck = await sp.waitPeer(
    "10.0.63.1",
    (p) =>
      /TCP MD5 is on/.test((p as unknown as { transport: { problem?: string } }).transport.problem ?? ""),
    "reporting the TCP MD5 problem",
    15_000,
  );
  assert.notEqual(stuck.state, "Established");
  assert.equal(stuck.messages.received.open, 0);
  assert.match(JSON.stringify(stuck), /check the password on both sides/);
  assert.notEqual((await f.sessionState("10.0.63.2")).state, "Established");
  let shown = await everythingShown(lab, sp);
  assert.ok(!shown.includes(wrong) && !shown.includes(right), "a password shows in status, metrics or log");

  // Fixed: the session comes up and the route arrives.
  sp.writeConfig(config(right));
  await sp.waitEstablished("10.0.63.1");
  await f.waitEstablished("10.0.63.2");
  await f.waitRoute("10.100.63.1/32");

  // Changed on our side only: Cease / Other Configuration Change, then no session until the
  // router has the new key too.
  sp.writeConfig(config(next));
  await waitFor(() => f.sessionState("10.0.63.2"), {
    what: "FRR: session down after our Cease",
    timeoutMs: 10_000,
    until: (s) => !s.established,
  });
  await waitFor(() => readFileSync(sp.daemon!.logFile, "utf8"), {
    what: "our log: NOTIFICATION sent, Cease / Other Configuration Change",
    timeoutMs: 5000,
    until: (log) =>
      log
        .split("\n")
        .some((l) => l.includes("NOTIFICATION sent") && l.includes('"code":6') && l.includes('"subcode":6')),
  });
  const frrView = await f.vtysh(["show bgp neighbors 10.0.63.2"]);
  assert.match(frrView, /Other Configuration Change/i, frrView.slice(0, 2000));
  await f.vtysh(["configure terminal", `router bgp ${TOR_AS}`, `neighbor 10.0.63.2 password ${next}`]);
  await sp.waitEstablished("10.0.63.1");
  await f.waitRoute("10.100.63.1/32");
  shown = await everythingShown(lab, sp);
  for (const k of [right, wrong, next])
    assert.ok(!shown.includes(k), "a password shows in status, metrics or log");
});

test("GTSM: a directly connected peer is accepted, one a hop further away is refused", async (t) => {
  if (!need(t, ["frr"]) || !needAddon(t)) return;
  const lab = await newLab();
  const near = await lab.addNamespace("near");
  const mid = await lab.addNamespace("mid");
  const far = await lab.addNamespace("far");
  const node = await lab.addNamespace("node");
  await lab.addVeth(
    { ns: near, ifname: "eth0", addresses: ["10.0.64.1/24", "fd00:64::1/64"] },
    { ns: node, ifname: "eth0", addresses: ["10.0.64.2/24", "fd00:64::2/64"] },
  );
  await lab.addVeth(
    { ns: mid, ifname: "eth0", addresses: ["10.0.65.1/24"] },
    { ns: node, ifname: "eth1", addresses: ["10.0.65.2/24"] },
  );
  await lab.addVeth(
    { ns: mid, ifname: "eth1", addresses: ["10.0.66.1/24"] },
    { ns: far, ifname: "eth0", addresses: ["10.0.66.2/24"] },
  );
  // `mid` routes (the lab turns forwarding on); node and far reach each other through it.
  await lab.run(node, ["ip", "route", "add", "10.0.66.0/24", "via", "10.0.65.1"]);
  await lab.run(far, ["ip", "route", "add", "10.0.65.0/24", "via", "10.0.66.1"]);

  const n = await frr.start(lab, near, {
    asn: TOR_AS,
    routerId: "10.0.64.1",
    kernel: false,
    neighbors: [
      { address: "10.0.64.2", peerAs: OUR_AS, holdTime: HOLD },
      { address: "fd00:64::2", peerAs: OUR_AS, holdTime: HOLD, passive: true },
    ],
  });
  await n.vtysh([
    "configure terminal",
    `router bgp ${TOR_AS}`,
    "neighbor 10.0.64.2 ttl-security hops 1",
    "neighbor fd00:64::2 ttl-security hops 1",
  ]);
  const f = await frr.start(lab, far, {
    asn: TOR_AS + 1,
    routerId: "10.0.66.2",
    kernel: false,
    neighbors: [{ address: "10.0.65.2", peerAs: OUR_AS, holdTime: HOLD, multihop: 2 }],
  });
  const config = (farTtlSecurity: boolean) => ({
    peers: [
      // IPv4: FRR connects (GTSM set on the accepted ::ffff: connection); IPv6: we connect.
      {
        address: "10.0.64.1",
        peerAsn: TOR_AS,
        myAsn: OUR_AS,
        routerId: "10.0.64.2",
        passive: true,
        extra: ["ttl-security: true"],
      },
      {
        address: "fd00:64::1",
        peerAsn: TOR_AS,
        myAsn: OUR_AS,
        routerId: "10.0.64.2",
        extra: ["ttl-security: true"],
      },
      {
        address: "10.0.66.2",
        peerAsn: TOR_AS + 1,
        myAsn: OUR_AS,
        routerId: "10.0.64.2",
        extra: farTtlSecurity ? ["ttl-security: true"] : ["ebgp-multihop: true"],
      },
    ],
    pools: [{ name: "p", addresses: ["10.100.64.0/28"] }],
  });
  const sp = await speaker.start(lab, node, {
    ...config(true),
    services: [{ name: "web", ips: ["10.100.64.1"] }],
  });
  for (const [address, by] of [
    ["10.0.64.1", "peer"],
    ["fd00:64::1", "us"],
  ] as const) {
    const s = await sp.waitEstablished(address);
    assert.equal(s.connection?.initiatedBy, by, `${address}: ${JSON.stringify(s.connection)}`);
    assert.equal((s as unknown as { transport: { ttlSecurity: boolean } }).transport.ttlSecurity, true);
  }
  await n.waitRoute("10.100.64.1/32");

  // The far router's packets arrive with TTL 254 at best. Its connections to us are refused
  // at accept, from the TTL its SYN came with (the listener saves SYNs), before anything it
  // sent is read; our connections to it never complete (IP_MINTTL drops its SYN-ACK).
  await waitFor(() => readFileSync(sp.daemon!.logFile, "utf8"), {
    what: "our log: the far router's connection refused for its TTL",
    timeoutMs: 15_000,
    until: (log) => /connection from 10\.0\.66\.2 refused: its SYN arrived with TTL \d+,/.test(log),
  });
  const farStatus = await sp.waitPeer(
    "10.0.66.2",
    (p) => /TTL security/.test((p as unknown as { transport: { problem?: string } }).transport.problem ?? ""),
    "reporting the TTL security problem",
    15_000,
  );
  assert.notEqual(farStatus.state, "Established");
  assert.equal(farStatus.messages.received.open, 0, "nothing the far router sent was read");
  assert.notEqual((await f.sessionState("10.0.65.2")).state, "Established");

  // Without ttl-security (and with ebgp-multihop, as two hops need) the same peer comes up:
  // it was GTSM that kept it out, not the route.
  sp.writeConfig(config(false));
  await sp.waitEstablished("10.0.66.2");
  await f.waitRoute("10.100.64.1/32");
  for (const a of ["10.0.64.2", "fd00:64::2"])
    assert.equal((await n.sessionState(a)).established, true, `the near session ${a} was not disturbed`);
});
