/**
 * `sudo npm run bench:l2`: layer-2 failover time as a client sees it.
 *
 * Three signalbox speakers and a client on one Linux bridge in network namespaces (the
 * netns test harness, test/netns/lib). The client pings the Service IP every 5 ms and
 * tcpdump on its interface records every echo reply with its Ethernet source. Each round
 * kills the node that answers: its bridge port goes down (the node is gone from the segment)
 * and its speaker gets SIGKILL, at the same instant. The failover time is the time from the
 * last reply from the old node's MAC to the first reply from another MAC, both from the
 * client's capture. Then the node comes back (port up, speaker restarted) and takes its
 * address back, and the next round starts. 20 rounds by default; prints p50 and max.
 *
 *   --rounds N     (default 20)
 *   --keep         keep the lab's logs (SBX_KEEP_LOGS)
 *
 * Reference: MetalLB's memberlist needs 4 s of suspicion at least (ProbeInterval 1 s,
 * SuspicionMult 4, stretched up to 6× unless two peers confirm), documented as "a few
 * seconds" (anchors.md §d step 9, docs/concepts/layer2.md); kube-vip and Cilium wait for a
 * Lease to expire (5-15 s). MetalLB cannot run here, so that figure is quoted, not measured.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import type { L2Status } from "../src/speaker/l2/runtime.ts";
import { Lab, waitFor } from "../test/netns/lib/index.ts";
import { SignalboxSpeaker } from "../test/netns/lib/speaker.ts";

const { values } = parseArgs({
  options: { rounds: { type: "string", default: "20" }, keep: { type: "boolean", default: false } },
});
const ROUNDS = Number(values.rounds);
const VIP = "10.0.70.200";
const NODES = ["n1", "n2", "n3"];

interface Reply {
  t: number;
  mac: string;
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0)
    throw new Error("bench:l2 needs root (network namespaces): sudo npm run bench:l2");
  const lab = await Lab.create({ keepDir: values.keep });
  try {
    const sw = await lab.addBridge("sw");
    const cli = await lab.addNamespace("cli");
    await lab.connectToBridge({ ns: cli, ifname: "eth0", addresses: ["10.0.70.2/24"] }, sw);
    const ns = new Map<string, string>();
    const ports = new Map<string, string>();
    const macs = new Map<string, string>();
    for (const [i, n] of NODES.entries()) {
      const nns = await lab.addNamespace(n);
      ns.set(n, nns);
      ports.set(
        n,
        await lab.connectToBridge({ ns: nns, ifname: "eth0", addresses: [`10.0.70.1${i + 1}/24`] }, sw),
      );
      await lab.addAddress(nns, "lo", `${VIP}/32`);
      await lab.sysctl(nns, { "net.ipv4.conf.all.arp_ignore": "1", "net.ipv4.conf.all.arp_announce": "2" });
      macs.set(n, (await lab.run(nns, ["cat", "/sys/class/net/eth0/address"])).trim());
    }
    const config = {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { namespace: "metallb-system", name: "config" },
      data: {
        config: 'address-pools:\n- name: l2\n  protocol: layer2\n  addresses: ["10.0.70.200-10.0.70.210"]\n',
      },
    };
    const speakers = new Map<string, SignalboxSpeaker>();
    for (const n of NODES) {
      const sp = new SignalboxSpeaker(lab, ns.get(n)!, {
        node: n,
        peers: [],
        pools: [],
        services: [{ name: "web", ips: [VIP] }],
        objects: NODES.map((name) => ({ apiVersion: "v1", kind: "Node", metadata: { name } })),
        bgpListen: "off",
        logLevel: "info",
      });
      await sp.start();
      sp.writeManifest("config.json", config);
      speakers.set(n, sp);
    }
    const l2 = async (n: string): Promise<L2Status | undefined> =>
      ((await speakers.get(n)!.status()) as { layer2?: L2Status }).layer2;
    const owners = async (among: string[]): Promise<string[]> => {
      const out: string[] = [];
      for (const n of among) {
        const s = await l2(n).catch(() => undefined);
        if (s?.addresses.find((a) => a.ip === VIP)?.answering) out.push(n);
      }
      return out;
    };
    const settled = () =>
      waitFor(
        async () => {
          for (const n of NODES) {
            const s = await l2(n);
            if (!s?.ready || s.members.filter((m) => m.state === "alive").length !== NODES.length - 1)
              return false;
          }
          return (await owners(NODES)).length === 1;
        },
        { what: "all speakers ready, hearing each other, one owner", timeoutMs: 30_000, intervalMs: 100 },
      );
    await settled();

    const dump = lab.spawn(cli, [
      "tcpdump",
      "-l",
      "-n",
      "-e",
      "-tt",
      "-i",
      "eth0",
      "icmp[icmptype] = icmp-echoreply",
    ]);
    await waitFor(() => dump.logTail(5).includes("listening on"), {
      what: "tcpdump listening",
      timeoutMs: 5000,
    });
    const pinger = lab.spawn(cli, ["ping", "-n", "-q", "-i", "0.005", "-W", "1", VIP]);
    let offset = 0;
    const replies: Reply[] = [];
    const readReplies = (): void => {
      const text = readFileSync(dump.logFile, "utf8");
      const fresh = text.slice(offset);
      const cut = fresh.lastIndexOf("\n") + 1;
      offset += cut;
      for (const line of fresh.slice(0, cut).split("\n")) {
        const m = /^(\d+\.\d+) ([0-9a-f:]{17}) > /.exec(line);
        if (m) replies.push({ t: Number(m[1]) * 1000, mac: m[2]! });
      }
    };
    await waitFor(
      () => {
        readReplies();
        return replies.length > 10;
      },
      { what: "echo replies at the client", timeoutMs: 5000 },
    );

    const results: number[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const [victim] = await waitFor(() => owners(NODES), {
        what: "one owner",
        until: (o) => o.length === 1,
        timeoutMs: 10_000,
      });
      const oldMac = macs.get(victim!)!;
      // Steady state: replies from the owner's MAC.
      await waitFor(
        () => {
          readReplies();
          return replies.at(-1)?.mac === oldMac;
        },
        { what: `replies from ${victim}`, timeoutMs: 10_000, intervalMs: 20 },
      );
      const from = replies.length;
      const killedAt = Date.now();
      await Promise.all([
        lab.exec(sw.ns, ["ip", "link", "set", ports.get(victim!)!, "down"], { check: true }),
        speakers.get(victim!)!.kill(),
      ]);
      const first = (await waitFor<Reply | undefined>(
        () => {
          readReplies();
          return replies.slice(from).find((r) => r.mac !== oldMac);
        },
        { what: `a reply from another node than ${victim}`, timeoutMs: 15_000, intervalMs: 20 },
      )) as Reply;
      const last = replies.slice(0, replies.indexOf(first)).findLast((r) => r.mac === oldMac)!;
      const ms = first.t - last.t;
      const newOwner = [...macs].find(([, m]) => m === first.mac)?.[0] ?? first.mac;
      results.push(ms);
      process.stdout.write(
        `round ${String(round).padStart(2)}: ${victim} → ${newOwner}  ${ms.toFixed(0).padStart(5)} ms (kill→first new reply ${(first.t - killedAt).toFixed(0)} ms)\n`,
      );
      // The node comes back and takes its address home.
      await lab.exec(sw.ns, ["ip", "link", "set", ports.get(victim!)!, "up"], { check: true });
      await speakers.get(victim!)!.start();
      await settled();
    }
    pinger.signal("SIGINT");
    const sorted = [...results].sort((a, b) => a - b);
    const p50 = sorted[Math.floor((sorted.length - 1) / 2)]!;
    const max = sorted.at(-1)!;
    const s = await l2(NODES[0]!);
    process.stdout.write(
      [
        "",
        `layer-2 failover, client side (last reply from the old node → first reply from the new one), ${results.length} rounds`,
        `  heartbeat ${s?.settings.intervalMs} ms, hold time ${s?.settings.holdMs} ms`,
        `  p50 ${p50.toFixed(0)} ms   max ${max.toFixed(0)} ms   min ${sorted[0]!.toFixed(0)} ms   target p50 < 1000 ms: ${p50 < 1000 ? "met" : "MISSED"}`,
        "  reference (quoted, not measured here): MetalLB memberlist ≥ 4000 ms suspicion, 'a few seconds';",
        "  kube-vip / Cilium Lease expiry 5000-15000 ms (anchors.md §d, A2)",
        "",
      ].join("\n"),
    );
  } finally {
    await lab.close();
  }
}

await main();
