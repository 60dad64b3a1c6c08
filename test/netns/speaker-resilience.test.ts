// Our speaker under stress, against real routers in namespaces (issue 4, "Interop", part B):
//
//   - ECMP: two speakers announce one Service /32 to one ToR (FRR, then BIRD with `merge
//     paths`); the ToR's kernel has both next hops, loses one when a speaker stops with a
//     NOTIFICATION, and gets it back when it starts again.
//   - Graceful restart (RFC 4724) with FRR and BIRD as the helper: a SIGTERM (--stop
//     graceful) or a SIGKILL of the speaker never takes the route out of the ToR's kernel
//     (sampled every 50 ms), and the new session's End-of-RIB clears the stale mark; with
//     --stop notify the route goes at once.
//   - Malformed input: a scripted peer (scripted-peer.ts) sends one broken message per
//     session; each gets the NOTIFICATION RFC 4271 / RFC 6608 / RFC 7606 ask for, /status
//     says so, the process lives on, and a session to BIRD beside them never flaps.

import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { after, type TestContext, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import {
  bird,
  type Daemon,
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

const ROOT = resolve(import.meta.dirname, "../..");
const SIGNALBOX = join(ROOT, "bin", "signalbox");
const STATUS = "127.0.0.1:7473";

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

interface PeerSpec {
  address: string;
  peerAsn: number;
  myAsn: number;
  holdTime?: number;
  gracefulRestart?: boolean;
  gracefulRestartTime?: number;
}

/** A manifest folder: the MetalLB ConfigMap (one bgp pool) and one Service per ingress IP. */
function writeManifests(dir: string, peers: PeerSpec[], pool: string, ips: string[]): void {
  const peerLines = peers.flatMap((p) => [
    `    - peer-address: ${p.address}`,
    `      peer-asn: ${p.peerAsn}`,
    `      my-asn: ${p.myAsn}`,
    `      hold-time: ${p.holdTime ?? 3}s`,
    ...(p.gracefulRestart ? ["      graceful-restart: true"] : []),
    ...(p.gracefulRestartTime ? [`      graceful-restart-time: ${p.gracefulRestartTime}s`] : []),
  ]);
  const config = [
    "apiVersion: v1",
    "kind: ConfigMap",
    "metadata: { name: config, namespace: metallb-system }",
    "data:",
    "  config: |",
    "    peers:",
    ...peerLines,
    "    address-pools:",
    "    - name: public",
    "      protocol: bgp",
    `      addresses: [${pool}]`,
    "",
  ].join("\n");
  writeFileSync(join(dir, "config.yaml"), config);
  const services = ips.map((ip, i) =>
    [
      "apiVersion: v1",
      "kind: Service",
      `metadata: { name: svc${i}, namespace: default }`,
      "spec: { type: LoadBalancer }",
      `status: { loadBalancer: { ingress: [{ ip: ${ip} }] } }`,
      "",
    ].join("\n"),
  );
  writeFileSync(join(dir, "services.yaml"), services.join("---\n"));
}

interface PeerStatus {
  key: string;
  peerAddress: string;
  state: string;
  flaps: number;
  uptimeSeconds?: number;
  prefixes: { advertised: { ipv4: number; ipv6: number }; received: number; desired: number };
  messages: {
    sent: { notification: number; update: number };
    received: { notification: number; update: number };
  };
  lastError?: { kind: string; text: string; code?: number; subcode?: number; description?: string };
}

interface SpeakerStatus {
  node: string;
  peers: PeerStatus[];
}

/** One `signalbox speaker --standalone` process in a namespace, restartable. */
class TestSpeaker {
  daemon: Daemon | undefined;
  readonly lab: Lab;
  readonly ns: string;
  readonly dir: string;
  readonly node: string;
  readonly stopMode: "graceful" | "notify";

  constructor(lab: Lab, ns: string, dir: string, node: string, stopMode: "graceful" | "notify") {
    this.lab = lab;
    this.ns = ns;
    this.dir = dir;
    this.node = node;
    this.stopMode = stopMode;
  }

  async start(): Promise<void> {
    this.daemon = this.lab.spawn(this.ns, [
      SIGNALBOX,
      "speaker",
      ...["--standalone", this.dir, "--node", this.node],
      ...["--status-address", STATUS, "--bgp-listen", "off", "--stop", this.stopMode],
      ...["--log-level", "debug"],
    ]);
    await waitFor(
      async () => {
        if (!this.daemon?.running) throw new Error(`speaker exited: ${this.daemon?.logTail(20)}`);
        return (await this.status()).peers.length > 0;
      },
      { what: `speaker ${this.node} in ${this.ns} serving /status with peers`, timeoutMs: 10_000 },
    );
  }

  async status(): Promise<SpeakerStatus> {
    const r = await this.lab.exec(this.ns, ["curl", "-sf", "--max-time", "2", `http://${STATUS}/status`], {
      timeoutMs: 4000,
    });
    if (r.code !== 0) throw new Error(`GET /status in ${this.ns}: curl exit ${r.code} ${r.stderr}`);
    return JSON.parse(r.stdout) as SpeakerStatus;
  }

  async peer(address: string): Promise<PeerStatus> {
    const p = (await this.status()).peers.find((x) => x.peerAddress === address);
    if (p === undefined) throw new Error(`no peer ${address} in /status of ${this.node}`);
    return p;
  }

  /** SIGTERM: the speaker acts on its --stop mode; waits for the exit. */
  async stop(): Promise<void> {
    const s = await this.daemon?.stop(5000);
    assert.equal(s?.signal ?? null, null, `speaker ${this.node} exited by itself: ${JSON.stringify(s)}`);
  }

  async kill(): Promise<void> {
    await this.daemon?.kill();
  }

  logTail(lines = 30): string {
    return this.daemon?.logTail(lines) ?? "";
  }
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
    const dir = lab.path("manifests");
    await lab.run(undefined, ["mkdir", "-p", dir]);
    const ip = `10.200.${net}.1`;
    writeManifests(dir, [{ address: torIp, peerAsn: 65000, myAsn: 65010 }], `10.200.${net}.0/24`, [ip]);
    const speakers: TestSpeaker[] = [];
    for (const i of nodes) {
      const ns = await lab.addNamespace(`node${i}`);
      await lab.connectToBridge({ ns, ifname: "eth0", addresses: [`10.0.${net}.${i}/24`] }, sw);
      const s = new TestSpeaker(lab, ns, dir, `node${i}`, "notify");
      await s.start();
      speakers.push(s);
    }
    const both = nodes.map((i) => `10.0.${net}.${i}`).join();
    await waitGateways(tor, `${ip}/32`, both, "both nodes up");
    const [n11, n12] = speakers as [TestSpeaker, TestSpeaker];
    await n11.stop();
    await waitGateways(tor, `${ip}/32`, `10.0.${net}.12`, "node11 stopped with Cease", 2000);
    await n11.start();
    await waitGateways(tor, `${ip}/32`, both, "node11 back");
    assert.equal((await n12.peer(torIp)).flaps, 0, "node12's session never flapped");
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
  test(`graceful restart with a ${kind.toUpperCase()} ToR: SIGTERM and SIGKILL keep the route in its kernel at every 50 ms sample; --stop notify withdraws at once`, async (t) => {
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
    const dir = lab.path("manifests");
    await lab.run(undefined, ["mkdir", "-p", dir]);
    const prefix = `10.200.${net}.1/32`;
    writeManifests(
      dir,
      [{ address: torIp, peerAsn: 65000, myAsn: 65010, gracefulRestart: true, gracefulRestartTime: 30 }],
      `10.200.${net}.0/24`,
      [prefix.replace("/32", "")],
    );
    let speaker = new TestSpeaker(lab, nodeNs, dir, "node", "graceful");
    await speaker.start();
    await tor.waitEstablished(nodeIp);
    await waitGateways(tor, prefix, nodeIp, "speaker up");
    await waitFor(() => staleAt(tor, prefix), {
      what: `${prefix} at the ToR, not stale`,
      until: (s) => s === false,
    });

    for (const how of ["SIGTERM with --stop graceful", "SIGKILL"] as const) {
      const t0 = Date.now();
      const sampler = sampleKernel(tor, prefix);
      if (how === "SIGKILL") await speaker.kill();
      else await speaker.stop();
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
      const down = sampler.samples.length;
      speaker = new TestSpeaker(lab, nodeNs, dir, "node", "graceful");
      await speaker.start();
      await tor.waitEstablished(nodeIp);
      await waitFor(() => staleAt(tor, prefix), {
        what: `${prefix} no longer stale after the new session's End-of-RIB (${how})`,
        timeoutMs: 10_000,
        until: (s) => s === false,
      });
      if (tor instanceof frr.FrrRouter)
        assert.ok(await frrEorReceived(tor, nodeIp), "FRR got our End-of-RIB");
      await sleep(300);
      const samples = await sampler.stop();
      const missing = samples.filter((s) => s.gateways !== nodeIp);
      assert.deepEqual(
        missing.map((s) => ({ ms: s.at - t0, gateways: s.gateways })),
        [],
        `the kernel route via ${nodeIp} was missing at some samples (${how})`,
      );
      const gaps = samples.slice(1).map((s, i) => s.at - samples[i]!.at);
      const maxGap = Math.max(...gaps);
      assert.ok(down >= 1 && samples.length >= 10, `too few samples: ${samples.length}`);
      assert.ok(maxGap < 500, `samples too far apart: ${maxGap} ms`);
      t.diagnostic(`${how}: ${samples.length} samples over ${Date.now() - t0} ms, largest gap ${maxGap} ms`);
    }
    assert.equal((await speaker.peer(torIp)).state, "Established");

    // Negative: --stop notify sends Cease, and the ToR drops the route at once (well before
    // the 3 s hold time or the 30 s restart time could).
    await speaker.stop(); // graceful; the notify speaker takes over
    speaker = new TestSpeaker(lab, nodeNs, dir, "node", "notify");
    await speaker.start();
    await tor.waitEstablished(nodeIp);
    await waitFor(() => staleAt(tor, prefix), { what: `${prefix} fresh again`, until: (s) => s === false });
    const stopAt = Date.now();
    await speaker.stop();
    await waitGateways(tor, prefix, "", "speaker stopped with --stop notify", 1500);
    const gone = Date.now() - stopAt;
    assert.equal(await staleAt(tor, prefix), undefined, "no stale copy kept in the BGP table");
    assert.match(await lastResetAt(tor, nodeIp), /[Aa]dministrative [Ss]hutdown|[Cc]ease/);
    t.diagnostic(`--stop notify: route gone from the kernel ${gone} ms after SIGTERM`);
    t.diagnostic(`took ${Date.now() - started} ms`);
  });
}
