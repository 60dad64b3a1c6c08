// Our speaker under stress, against real routers in namespaces (issue 4, "Interop", part B):
//
//   - ECMP: two speakers announce one Service /32 to one ToR (FRR, then BIRD with `merge
//     paths`); the ToR's kernel has both next hops, loses one when a speaker stops with a
//     NOTIFICATION, and gets it back when it starts again.
//   - Graceful restart (RFC 4724) with FRR and BIRD as the helper: a SIGTERM (--stop
//     graceful) or a SIGKILL of the speaker never takes the route out of the ToR's kernel
//     (sampled every 50 ms), and the new session's End-of-RIB clears the stale mark and
//     flushes a Service removed meanwhile; with --stop notify the route goes at once; the
//     restart time we advertise bounds the wait; toward a ToR without GR, a graceful stop
//     still sends Cease.
//   - Malformed input: a scripted peer (scripted-peer.ts) sends one broken message per
//     session; each gets the NOTIFICATION RFC 4271 / RFC 6608 / RFC 7313 / RFC 7606 / RFC
//     4486 ask for, /status says so, the session comes back, the process lives on, and a
//     session to BIRD beside them never flaps. Valid oddities (hold time 0, an unknown
//     capability, an UPDATE one octet per segment) keep the session up.

import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { after, type TestContext, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import {
  bird,
  findExecutable,
  frr,
  isCI,
  type KernelNextHop,
  Lab,
  need,
  type Router,
  type Tool,
  waitFor,
} from "./lib/index.ts";
import * as speaker from "./lib/speaker.ts";
import { CASES, type Case, type PeerEvent, type Plan } from "./scripted-peer.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const NODE = join(ROOT, "node_modules", ".bin", "node");
const SCRIPTED_PEER = join(import.meta.dirname, "scripted-peer.ts");

const labs: Lab[] = [];
async function newLab(): Promise<Lab> {
  const lab = await Lab.create();
  labs.push(lab);
  return lab;
}

after(async () => {
  for (const lab of labs) await lab.close();
  for (const lab of labs)
    assert.deepEqual(lab.remainingNamespaces(), [], `namespaces of run ${lab.runId} remain`);
});

// --- our speaker in a namespace -------------------------------------------------------------

/** need() plus curl, which reads /status inside the speaker's namespace. */
function needAll(t: TestContext, tools: Tool[]): boolean {
  if (!need(t, tools)) return false;
  if (findExecutable("curl") !== undefined) return true;
  const why = "missing curl: install the Debian package curl (.ci/netns-deps.sh installs it)";
  if (isCI()) throw new Error(`CI=true and a prerequisite is missing: ${why}`);
  t.skip(why);
  return false;
}

const POOL = (net: number) => ({ name: "public", addresses: [`10.200.${net}.0/24`] });

/** SIGTERM; the speaker must exit by itself (its --stop mode done), not be SIGKILLed. */
async function stopSpeaker(sp: speaker.SignalboxSpeaker): Promise<void> {
  await sp.stop();
  const s = sp.daemon?.exitStatus;
  assert.deepEqual(s, { code: 0, signal: null }, `speaker ${sp.node} did not exit cleanly on SIGTERM`);
}

function gateways(hops: KernelNextHop[]): string {
  return hops
    .map((h) => h.gateway ?? "")
    .sort()
    .join();
}

async function waitGateways(r: Router, prefix: string, want: string, what: string, timeoutMs = 15_000) {
  await waitFor(async () => gateways(await r.kernelRoutes(prefix)), {
    what: `${r.kind} kernel: ${prefix} via ${want || "nothing"} (${what})`,
    timeoutMs,
    intervalMs: 100,
    until: (g) => g === want,
  });
}

// --- 1. ECMP ----------------------------------------------------------------------------------

for (const kind of ["frr", "bird"] as const) {
  test(`ECMP: two speakers announce one /32 to a ${kind.toUpperCase()} ToR; stop one (Cease), start it again`, async (t) => {
    if (!needAll(t, [kind])) return;
    const started = Date.now();
    const net = kind === "frr" ? 31 : 32;
    const lab = await newLab();
    const sw = await lab.addBridge("sw");
    const torNs = await lab.addNamespace("tor");
    const torIp = `10.0.${net}.1`;
    await lab.connectToBridge({ ns: torNs, ifname: "eth0", addresses: [`${torIp}/24`] }, sw);
    const nodes = [11, 12];
    const driver = kind === "frr" ? frr : bird;
    const tor = await driver.start(lab, torNs, {
      asn: 65000,
      routerId: torIp,
      multipath: 4,
      neighbors: nodes.map((i) => ({
        address: `10.0.${net}.${i}`,
        peerAs: 65010,
        holdTime: 3,
        passive: true,
      })),
    });
    const ip = `10.200.${net}.1`;
    const speakers: speaker.SignalboxSpeaker[] = [];
    for (const i of nodes) {
      const ns = await lab.addNamespace(`node${i}`);
      await lab.connectToBridge({ ns, ifname: "eth0", addresses: [`10.0.${net}.${i}/24`] }, sw);
      // Every node gets the same manifests; only --node differs.
      speakers.push(
        await speaker.start(lab, ns, {
          node: `node${i}`,
          peers: [{ address: torIp, peerAsn: 65000, myAsn: 65010 }],
          pools: [POOL(net)],
          services: [{ name: "web", ips: [ip] }],
          bgpListen: "off",
          stop: "notify",
        }),
      );
    }
    const both = nodes.map((i) => `10.0.${net}.${i}`).join();
    await waitGateways(tor, `${ip}/32`, both, "both nodes up");
    const [n11, n12] = speakers as [speaker.SignalboxSpeaker, speaker.SignalboxSpeaker];
    await stopSpeaker(n11);
    await waitGateways(tor, `${ip}/32`, `10.0.${net}.12`, "node11 stopped with Cease", 2000);
    await n11.start();
    await waitGateways(tor, `${ip}/32`, both, "node11 back");
    assert.equal((await n12.peer(torIp))?.flaps, 0, "node12's session never flapped");
    t.diagnostic(`took ${Date.now() - started} ms`);
  });
}

// --- 2. graceful restart ----------------------------------------------------------------------

interface Sample {
  at: number;
  gateways: string;
}

/** Samples the ToR's kernel route to `prefix` every `intervalMs` until stopped. */
function sampleKernel(r: Router, prefix: string, intervalMs = 50) {
  const samples: Sample[] = [];
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const t0 = Date.now();
      let g: string;
      try {
        g = gateways(await r.kernelRoutes(prefix));
      } catch (e) {
        g = `error: ${(e as Error).message}`;
      }
      samples.push({ at: t0, gateways: g });
      await sleep(Math.max(0, t0 + intervalMs - Date.now()));
    }
  })();
  return {
    samples,
    async stop(): Promise<Sample[]> {
      stopped = true;
      await loop;
      return samples;
    },
  };
}

/**
 * Whether the ToR holds `prefix` marked stale: FRR flags the path; BIRD 2.0 has no per-route
 * flag in its CLI, so its channel's "Neighbor GR" state (set while the peer is away, cleared
 * by its End-of-RIB) stands for the routes of that one neighbor. undefined: no route at all.
 */
async function staleAt(r: Router, prefix: string): Promise<boolean | undefined> {
  if (r instanceof bird.BirdRouter) {
    const routes = await r.lab.exec(undefined, ["birdc", "-s", r.socket, "show", "route", "for", prefix], {
      timeoutMs: 5000,
    });
    if (/Network not found/.test(routes.stdout)) return undefined;
    if (routes.code !== 0 || !routes.stdout.includes(prefix)) throw new Error(`birdc: ${routes.stdout}`);
    const proto = await r.birdc([
      "show",
      "protocols",
      "all",
      r.protocolName(r.options.neighbors[0]!.address),
    ]);
    return /Neighbor GR:\s+Regular|Neighbor graceful restart active/.test(proto);
  }
  const paths = (await r.receivedRoutes("ipv4")).filter((p) => p.prefix === prefix);
  if (paths.length === 0) return undefined;
  return paths.some((p) => p.stale === true);
}

/** How the ToR explains the last session reset (FRR: lastResetDueTo; BIRD: Last error). */
async function lastResetAt(r: Router, neighbor: string): Promise<string> {
  if (r instanceof bird.BirdRouter) {
    const out = await r.birdc(["show", "protocols", "all", r.protocolName(neighbor)]);
    return /Last error:\s+(.*)/.exec(out)?.[1]?.trim() ?? "";
  }
  const f = r as frr.FrrRouter;
  const j = await f.vtyshJson<Record<string, { lastResetDueTo?: string; lastNotificationReason?: string }>>(
    `show bgp neighbors ${neighbor} json`,
  );
  const n = j[neighbor];
  return `${n?.lastResetDueTo ?? ""} ${n?.lastNotificationReason ?? ""}`.trim();
}

/** FRR: End-of-RIB received from `neighbor` for IPv4 unicast in the current session. */
async function frrEorReceived(r: frr.FrrRouter, neighbor: string): Promise<boolean> {
  const j = await r.vtyshJson<
    Record<string, { gracefulRestartInfo?: { endOfRibRecv?: Record<string, boolean> } }>
  >(`show bgp neighbors ${neighbor} json`);
  return j[neighbor]?.gracefulRestartInfo?.endOfRibRecv?.["ipv4Unicast"] === true;
}

for (const kind of ["frr", "bird"] as const) {
  test(`graceful restart with a ${kind.toUpperCase()} ToR: SIGTERM and SIGKILL keep the route in its kernel at every 50 ms sample, End-of-RIB clears stale and flushes a removed Service; --stop notify withdraws at once; the restart time bounds the wait`, async (t) => {
    if (!needAll(t, [kind])) return;
    const started = Date.now();
    const net = kind === "frr" ? 33 : 34;
    const lab = await newLab();
    const torNs = await lab.addNamespace("tor");
    const nodeNs = await lab.addNamespace("node");
    const torIp = `10.0.${net}.1`;
    const nodeIp = `10.0.${net}.2`;
    await lab.addVeth(
      { ns: torNs, ifname: "eth0", addresses: [`${torIp}/24`] },
      { ns: nodeNs, ifname: "eth0", addresses: [`${nodeIp}/24`] },
    );
    const driver = kind === "frr" ? frr : bird;
    const tor = await driver.start(lab, torNs, {
      asn: 65000,
      routerId: torIp,
      neighbors: [
        {
          address: nodeIp,
          peerAs: 65010,
          holdTime: 3,
          passive: true,
          gracefulRestart: true,
          restartTime: 30,
        },
      ],
    });
    const prefix = `10.200.${net}.1/32`;
    // A second Service, removed while the speaker is away in the last restart: the ToR must
    // drop its stale route at our End-of-RIB.
    const removed = `10.200.${net}.2/32`;
    const web = { name: "web", ips: [prefix.replace("/32", "")] };
    const peer: speaker.SpeakerPeer = {
      address: torIp,
      peerAsn: 65000,
      myAsn: 65010,
      gracefulRestart: true,
      gracefulRestartTime: 30,
    };
    const options: speaker.SpeakerOptions = {
      node: "node",
      peers: [peer],
      pools: [POOL(net)],
      services: [web, { name: "old", ips: [removed.replace("/32", "")] }],
      bgpListen: "off",
      stop: "graceful",
    };
    const sp = await speaker.start(lab, nodeNs, options);
    await tor.waitEstablished(nodeIp);
    await waitGateways(tor, prefix, nodeIp, "speaker up");
    await waitGateways(tor, removed, nodeIp, "speaker up");
    await waitFor(() => staleAt(tor, prefix), {
      what: `${prefix} at the ToR, not stale`,
      until: (s) => s === false,
    });

    const hows = [
      "SIGTERM with --stop graceful",
      "SIGKILL",
      "SIGTERM, a Service removed while away",
    ] as const;
    for (const how of hows) {
      const t0 = Date.now();
      const sampler = sampleKernel(tor, prefix);
      if (how === "SIGKILL") await sp.kill();
      else await stopSpeaker(sp);
      if (how === hows[2]) await sp.setServices([web]);
      await waitFor(() => tor.sessionState(nodeIp), {
        what: `${kind} to see the session go (${how})`,
        timeoutMs: 5000,
        until: (s) => !s.established,
      });
      await waitFor(() => staleAt(tor, prefix), {
        what: `${prefix} kept stale at the ToR while the speaker is away (${how})`,
        timeoutMs: 5000,
        until: (s) => s === true,
      });
      // Stay away for a while (20 samples, about a second): the ToR must keep forwarding on
      // its own, not just for the moment it takes to notice.
      const down = sampler.samples.length;
      await waitFor(() => sampler.samples.length - down, {
        what: `20 kernel samples while the speaker is away (${how})`,
        until: (n) => n >= 20,
      });
      await sp.start();
      await tor.waitEstablished(nodeIp);
      await waitFor(() => staleAt(tor, prefix), {
        what: `${prefix} no longer stale after the new session's End-of-RIB (${how})`,
        timeoutMs: 10_000,
        until: (s) => s === false,
      });
      if (tor instanceof frr.FrrRouter)
        assert.ok(await frrEorReceived(tor, nodeIp), "FRR got our End-of-RIB");
      if (how === hows[2]) {
        await waitGateways(tor, removed, "", "the removed Service's stale route flushed at End-of-RIB", 3000);
        assert.equal(await staleAt(tor, removed), undefined, `${removed} gone from the ToR's BGP table`);
      } else {
        assert.equal(gateways(await tor.kernelRoutes(removed)), nodeIp, `${removed} still there`);
      }
      const after = sampler.samples.length;
      await waitFor(() => sampler.samples.length - after, {
        what: "a few samples more",
        until: (n) => n >= 5,
      });
      const samples = await sampler.stop();
      const missing = samples.filter((s) => s.gateways !== nodeIp);
      assert.deepEqual(
        missing.map((s) => ({ ms: s.at - t0, gateways: s.gateways })),
        [],
        `the kernel route via ${nodeIp} was missing at some samples (${how})`,
      );
      const gaps = samples.slice(1).map((s, i) => s.at - samples[i]!.at);
      const maxGap = Math.max(...gaps);
      assert.ok(down >= 1 && samples.length >= 30, `too few samples: ${samples.length}`);
      assert.ok(maxGap < 500, `samples too far apart: ${maxGap} ms`);
      t.diagnostic(`${how}: ${samples.length} samples over ${Date.now() - t0} ms, largest gap ${maxGap} ms`);
    }
    assert.equal((await sp.peer(torIp))?.state, "Established");

    // Negative: --stop notify sends Cease, and the ToR drops the route at once (well before
    // the 3 s hold time or the 30 s restart time could).
    await stopSpeaker(sp); // graceful; a --stop notify speaker takes over
    const notify = await speaker.start(lab, nodeNs, { ...options, services: [web], stop: "notify" });
    await tor.waitEstablished(nodeIp);
    await waitFor(() => staleAt(tor, prefix), { what: `${prefix} fresh again`, until: (s) => s === false });
    const stopAt = Date.now();
    await stopSpeaker(notify);
    await waitGateways(tor, prefix, "", "speaker stopped with --stop notify", 1500);
    const gone = Date.now() - stopAt;
    assert.equal(await staleAt(tor, prefix), undefined, "no stale copy kept in the BGP table");
    const why = await lastResetAt(tor, nodeIp);
    assert.match(why, /[Aa]dministrative [Ss]hutdown|[Cc]ease/);
    t.diagnostic(`--stop notify: route gone from the kernel ${gone} ms after SIGTERM; ToR: ${why}`);

    // The restart time we advertise bounds how long the ToR waits for us: 3 s here.
    const short = await speaker.start(lab, nodeNs, {
      ...options,
      peers: [{ ...peer, gracefulRestartTime: 3 }],
      services: [web],
    });
    await tor.waitEstablished(nodeIp);
    await waitGateways(tor, prefix, nodeIp, "speaker with a 3 s restart time up");
    await waitFor(() => staleAt(tor, prefix), { what: `${prefix} fresh`, until: (s) => s === false });
    const sampler = sampleKernel(tor, prefix);
    const killAt = Date.now();
    await short.kill();
    await waitGateways(tor, prefix, "", "restart time (3 s) expired", 10_000);
    const samples = await sampler.stop();
    const lastSeen = Math.max(...samples.filter((s) => s.gateways === nodeIp).map((s) => s.at)) - killAt;
    assert.ok(lastSeen >= 2000, `route kept only ${lastSeen} ms of the 3 s restart time`);
    assert.ok(lastSeen <= 6000, `route kept ${lastSeen} ms, well past the 3 s restart time`);
    t.diagnostic(`restart time 3 s: route kept ${lastSeen} ms after SIGKILL, then removed`);
    t.diagnostic(`took ${Date.now() - started} ms`);
  });
}

// --- 3. malformed input -----------------------------------------------------------------------

type Expectation =
  | { reset: true; code: number; subcode: number; data?: string; words: RegExp }
  | { reset: false; kind: "treat-as-withdraw" | "accepted" | "notification-received" };

/** What the speaker must do with each case of scripted-peer.ts (data only where RFC 4271 defines it). */
const EXPECT: Record<Case, Expectation> = {
  "bad-marker": { reset: true, code: 1, subcode: 1, words: /Connection Not Synchronized/ },
  "bad-length": { reset: true, code: 1, subcode: 2, data: "1388", words: /Bad Message Length/ },
  "keepalive-length": { reset: true, code: 1, subcode: 2, data: "0014", words: /Bad Message Length/ },
  "update-short": { reset: true, code: 1, subcode: 2, data: "0016", words: /Bad Message Length/ },
  "bad-type": { reset: true, code: 1, subcode: 3, data: "09", words: /Bad Message Type/ },
  "open-bad-version": { reset: true, code: 2, subcode: 1, data: "0004", words: /Unsupported Version/ },
  "open-bad-as": { reset: true, code: 2, subcode: 2, words: /Bad Peer AS/ },
  "open-bad-id": { reset: true, code: 2, subcode: 3, words: /Bad BGP Identifier/ },
  "open-hold-1": { reset: true, code: 2, subcode: 6, words: /Unacceptable Hold Time/ },
  "open-short": { reset: true, code: 1, subcode: 2, data: "001c", words: /Bad Message Length/ },
  "open-unsupported-param": { reset: true, code: 2, subcode: 4, words: /Unsupported Optional Parameter/ },
  "update-in-opensent": { reset: true, code: 5, subcode: 1, words: /Unexpected Message in OpenSent/i },
  "keepalive-in-opensent": { reset: true, code: 5, subcode: 1, words: /Unexpected Message in OpenSent/i },
  "open-in-openconfirm": { reset: true, code: 5, subcode: 2, words: /Unexpected Message in OpenConfirm/i },
  "open-in-established": { reset: true, code: 5, subcode: 3, words: /Unexpected Message in Established/i },
  "update-withdrawn-overrun": { reset: true, code: 3, subcode: 1, words: /Malformed Attribute List/ },
  "update-bad-prefix-length": { reset: true, code: 3, subcode: 10, words: /Invalid Network Field/ },
  "update-unknown-well-known": {
    reset: true,
    code: 3,
    subcode: 2,
    data: "406302abcd", // RFC 4271 §6.3: the unrecognized attribute (type, length, value)
    words: /Unrecognized Well-known Attribute/,
  },
  "update-duplicate-mp-reach": { reset: true, code: 3, subcode: 1, words: /Malformed Attribute List/ },
  "update-missing-origin": { reset: false, kind: "treat-as-withdraw" },
  "update-origin-flags": { reset: false, kind: "treat-as-withdraw" },
  // RFC 4486 §4: AFI 1, SAFI 1, the limit 10,000.
  "max-prefix": {
    reset: true,
    code: 6,
    subcode: 1,
    data: "00010100002710",
    words: /Maximum Number of Prefixes/,
  },
  notification: { reset: false, kind: "notification-received" },
  // RFC 7313 §5: the Data field is the complete ROUTE-REFRESH message.
  "route-refresh-bad-length": {
    reset: true,
    code: 7,
    subcode: 1,
    data: `${"ff".repeat(16)}0018050001010100`,
    words: /Invalid Message Length/,
  },
  "open-unknown-capability": { reset: false, kind: "accepted" },
  "open-hold-0": { reset: false, kind: "accepted" },
  "update-byte-by-byte": { reset: false, kind: "accepted" },
};

function readEvents(file: string): PeerEvent[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return [];
  }
  return text
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as PeerEvent);
}

test("malformed input from a scripted peer: the right NOTIFICATION per case, /status says why, the process and a BIRD session carry on", async (t) => {
  if (!needAll(t, ["bird"])) return;
  const started = Date.now();
  const lab = await newLab();
  const nodeNs = await lab.addNamespace("node");
  const peersNs = await lab.addNamespace("peers");
  const birdNs = await lab.addNamespace("bird");
  await lab.addVeth(
    { ns: nodeNs, ifname: "eth0", addresses: ["10.0.35.2/24"] },
    { ns: peersNs, ifname: "eth0", addresses: ["10.0.35.1/24"] },
  );
  await lab.addVeth(
    { ns: nodeNs, ifname: "eth1", addresses: ["10.0.36.2/24"] },
    { ns: birdNs, ifname: "eth0", addresses: ["10.0.36.1/24"] },
  );
  const cases = CASES.map((c, i) => ({ address: `10.0.35.${101 + i}`, case: c }));
  for (const c of cases) await lab.addAddress(peersNs, "eth0", `${c.address}/24`);
  const b = await bird.start(lab, birdNs, {
    asn: 65000,
    routerId: "10.0.36.1",
    neighbors: [{ address: "10.0.36.2", peerAs: 65010, holdTime: 3, passive: true }],
  });

  // The speaker first runs with BIRD alone; the scripted peers are added to its config later,
  // so the BIRD session is already up when the broken messages arrive.
  const birdPeer: speaker.SpeakerPeer = { address: "10.0.36.1", peerAsn: 65000, myAsn: 65010 };
  const prefix = "10.200.35.1/32";
  const sp = await speaker.start(lab, nodeNs, {
    node: "node",
    peers: [birdPeer],
    pools: [POOL(35)],
    services: [{ name: "web", ips: ["10.200.35.1"] }],
    bgpListen: "off",
    stop: "notify",
  });
  await b.waitEstablished("10.0.36.2");
  await b.waitRoute(prefix);
  const birdUpAt = Date.now();

  const planFile = lab.path("plan.json");
  const eventsFile = lab.path("events.jsonl");
  const plan: Plan = { asn: 65100, holdTime: 3, cases };
  writeFileSync(planFile, JSON.stringify(plan));
  const peer = lab.spawn(peersNs, [
    NODE,
    "--disable-warning=ExperimentalWarning",
    SCRIPTED_PEER,
    planFile,
    eventsFile,
  ]);
  await waitFor(
    () => {
      if (!peer.running) throw new Error(`scripted peer exited: ${peer.logTail(20)}`);
      return readEvents(eventsFile).some((e) => e.event === "ready");
    },
    { what: "the scripted peer listening on every case address" },
  );

  // BIRD's view, sampled while the scripted peers misbehave.
  const birdSamples: { at: number; established: boolean; route: boolean; error?: string }[] = [];
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const at = Date.now();
      try {
        const s = await b.sessionState("10.0.36.2");
        const r = (await b.receivedRoutes("ipv4")).some((x) => x.prefix === prefix);
        birdSamples.push({ at, established: s.established, route: r });
      } catch (e) {
        if (sampling) birdSamples.push({ at, established: false, route: false, error: String(e) });
      }
      await sleep(Math.max(0, at + 100 - Date.now()));
    }
  })();
  t.after(async () => {
    sampling = false;
    await sampler;
  });

  sp.writeConfig({
    peers: [birdPeer, ...cases.map((c) => ({ address: c.address, peerAsn: 65100, myAsn: 65010 }))],
    pools: [POOL(35)],
  });

  // Every case has played out on its first connection: a reset case got its NOTIFICATION and
  // was closed by the speaker; the NOTIFICATION case was closed without one; the
  // treat-as-withdraw case sent its UPDATEs.
  const firstConn = (address: string) =>
    readEvents(eventsFile).filter((e) => e.address === address && e.conn === 1);
  const done = (c: (typeof cases)[number]) => {
    const ev = firstConn(c.address);
    const closed = ev.some((e) => e.event === "closed");
    const x = EXPECT[c.case];
    if (x.reset) return closed && ev.some((e) => e.what === "NOTIFICATION");
    if (x.kind === "notification-received") return closed;
    return ev.some((e) => e.event === "sent" && e.what === "UPDATE for 10.99.0.2/32");
  };
  await waitFor(() => cases.filter((c) => !done(c)).map((c) => c.case), {
    what: "every scripted case to play out on its first connection",
    timeoutMs: 15_000,
    until: (left) => left.length === 0,
  });
  // Their reasons in /status.
  const statusOf = async () => {
    const s = await sp.status();
    return new Map(s.peers.map((p) => [p.peerAddress, p]));
  };
  let peers = await waitFor(statusOf, {
    what: "/status to show lastError for every reset case",
    until: (m) => cases.every((c) => !EXPECT[c.case].reset || m.get(c.address)?.lastError !== undefined),
  });

  const problems: string[] = [];
  for (const c of cases) {
    const x = EXPECT[c.case];
    const ev = firstConn(c.address);
    const notifications = ev.filter((e) => e.event === "received" && e.what === "NOTIFICATION");
    const st = peers.get(c.address);
    const err = st?.lastError;
    const got = notifications.map((n) => `${n.code}/${n.subcode} data ${n.data || "-"}`).join(", ") || "none";
    if (x.reset) {
      const want = `${x.code}/${x.subcode}${x.data !== undefined ? ` data ${x.data}` : ""}`;
      const n = notifications[0];
      if (
        notifications.length !== 1 ||
        n?.code !== x.code ||
        n.subcode !== x.subcode ||
        (x.data !== undefined && n.data !== x.data)
      )
        problems.push(`${c.case}: sent ${got}, expected ${want}`);
      if (err?.kind !== "notification-sent" || err.code !== x.code || err.subcode !== x.subcode)
        problems.push(`${c.case}: /status lastError ${JSON.stringify(err)}, expected ${want} sent`);
      else if (!x.words.test(err.description ?? ""))
        problems.push(`${c.case}: /status lastError description ${JSON.stringify(err)} lacks ${x.words}`);
    } else if (x.kind === "notification-received") {
      // RFC 4271 §6.4 / checklist 2.18: a NOTIFICATION is never answered.
      if (notifications.length > 0) problems.push(`${c.case}: answered the peer's NOTIFICATION with ${got}`);
      if (err?.kind !== "notification-received" || err.code !== 6 || err.subcode !== 2)
        problems.push(`${c.case}: /status lastError ${JSON.stringify(err)}, expected 6/2 received`);
      else if (!/Cease/.test(err.description ?? ""))
        problems.push(`${c.case}: /status lastError description ${JSON.stringify(err)} lacks Cease`);
    } else {
      // RFC 7606 §3 (c), (d): an attribute flags error or a missing well-known attribute is
      // treat-as-withdraw, not a reset; the "accepted" cases are valid and must stay up.
      if (notifications.length > 0) problems.push(`${c.case}: sent ${got}, expected no NOTIFICATION`);
      if (ev.some((e) => e.event === "closed")) problems.push(`${c.case}: the speaker closed the session`);
      if (st?.state !== "Established" || st.flaps !== 0 || st.lastError !== undefined)
        problems.push(`${c.case}: /status ${JSON.stringify(st)}, expected Established, no flap, no error`);
      if (st?.prefixes.received !== 1)
        problems.push(
          `${c.case}: received prefixes ${st?.prefixes.received}, expected 1 (10.99.0.2${x.kind === "treat-as-withdraw" ? "; 10.99.0.1 withdrawn" : ""})`,
        );
    }
  }
  assert.deepEqual(problems, []);
  t.diagnostic(`all cases played out ${Date.now() - started} ms after start`);

  // The same, in /metrics: each reset case's NOTIFICATION by code and subcode, and the
  // peer's own Cease counted as received.
  const metrics = await sp.metrics();
  const metricProblems: string[] = [];
  for (const c of cases) {
    const x = EXPECT[c.case];
    const [direction, code, subcode] = x.reset
      ? ["sent", x.code, x.subcode]
      : x.kind === "notification-received"
        ? ["received", 6, 2]
        : [undefined, 0, 0];
    if (direction === undefined) continue;
    const line = `signalbox_bgp_notifications{peer="${c.address}",direction="${direction}",code="${code}",subcode="${subcode}"}`;
    const m = metrics.split("\n").find((l) => l.startsWith(`${line} `));
    if (m === undefined || Number(m.slice(line.length + 1)) < 1)
      metricProblems.push(`${c.case}: no ${line} ≥ 1`);
  }
  assert.deepEqual(metricProblems, []);

  // Every reset session comes back after its back-off (the peer is healthy from its second
  // connection on), the max-prefix one included.
  peers = await waitFor(statusOf, {
    what: "every scripted session Established again",
    timeoutMs: 15_000,
    until: (m) => cases.every((c) => m.get(c.address)?.state === "Established"),
  });
  assert.ok(sp.daemon?.running, "the speaker process is still running");

  // Hold time 0 (RFC 4271 §4.2): negotiated 0, and not one KEEPALIVE after the handshake in
  // 2 s (with our 3 s hold time, keepalives would come every second).
  const hold0 = cases.find((c) => c.case === "open-hold-0")!;
  assert.equal(peers.get(hold0.address)?.holdTime, 0, "hold time 0 negotiated");
  const eor = firstConn(hold0.address).find((e) => e.eor === true);
  assert.ok(eor?.at !== undefined, "the hold-0 session reached End-of-RIB");
  await waitFor(() => Date.now() - eor.at!, {
    what: "the hold-0 session up for 2 s",
    until: (ms) => ms >= 2000,
  });
  const h0 = firstConn(hold0.address);
  const lateKeepalives = h0.filter(
    (e) => e.event === "received" && e.what === "KEEPALIVE" && (e.at ?? 0) > eor.at!,
  );
  assert.deepEqual(lateKeepalives, [], "KEEPALIVEs sent although the hold time is 0");
  assert.ok(!h0.some((e) => e.event === "closed"), "the hold-0 session stays up");

  sampling = false;
  await sampler;
  const birdState = peers.get("10.0.36.1");
  assert.equal(birdState?.state, "Established");
  assert.equal(birdState?.flaps, 0, "the BIRD session never flapped");
  assert.equal(birdState?.lastError, undefined);
  const bad = birdSamples.filter((s) => !s.established || !s.route);
  assert.ok(birdSamples.length >= 5, `too few BIRD samples: ${birdSamples.length}`);
  assert.deepEqual(bad, [], "BIRD lost the session or the route at some samples");
  const up = await b.sessionState("10.0.36.2");
  assert.ok(
    (up.uptimeSeconds ?? 0) >= Math.floor((Date.now() - birdUpAt) / 1000) - 1,
    `BIRD session uptime ${up.uptimeSeconds} s: it was reset`,
  );
  t.diagnostic(`${birdSamples.length} BIRD samples, took ${Date.now() - started} ms`);
});

test("--stop graceful toward a ToR without graceful restart: Cease, and the route goes at once", async (t) => {
  if (!needAll(t, ["frr"])) return;
  const started = Date.now();
  const lab = await newLab();
  const torNs = await lab.addNamespace("tor");
  const nodeNs = await lab.addNamespace("node");
  await lab.addVeth(
    { ns: torNs, ifname: "eth0", addresses: ["10.0.37.1/24"] },
    { ns: nodeNs, ifname: "eth0", addresses: ["10.0.37.2/24"] },
  );
  const tor = await frr.start(lab, torNs, {
    asn: 65000,
    routerId: "10.0.37.1",
    neighbors: [{ address: "10.0.37.2", peerAs: 65010, holdTime: 3, passive: true }],
  });
  // We offer graceful restart; the ToR does not, so a graceful stop must not leave it
  // guessing: RFC 4724 §4 needs both sides, otherwise Cease as for any stop.
  const sp = await speaker.start(lab, nodeNs, {
    node: "node",
    peers: [{ address: "10.0.37.1", peerAsn: 65000, myAsn: 65010, gracefulRestart: true }],
    pools: [POOL(37)],
    services: [{ name: "web", ips: ["10.200.37.1"] }],
    bgpListen: "off",
    stop: "graceful",
  });
  await tor.waitEstablished("10.0.37.2");
  await waitGateways(tor, "10.200.37.1/32", "10.0.37.2", "speaker up");
  assert.equal((await sp.peer("10.0.37.1"))?.capabilities?.peerGracefulRestart, undefined);
  await stopSpeaker(sp);
  await waitGateways(tor, "10.200.37.1/32", "", "graceful stop without GR at the ToR", 1500);
  const why = await lastResetAt(tor, "10.0.37.2");
  assert.match(why, /[Aa]dministrative [Ss]hutdown|[Cc]ease/);
  t.diagnostic(`ToR: ${why}; took ${Date.now() - started} ms`);
});
