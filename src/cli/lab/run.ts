/**
 * The lab's steps, in order: network, routers, sample config and allocation, nodes, BGP
 * sessions, routes with plain ECMP, the rack balance warning, traffic, layer 2, weighted
 * announcements, traffic again, `signalbox status`. Each step prints what it saw and checks
 * what it must; every wait is bounded and says what it waited for.
 */
import type { ServiceBalance } from "../../speaker/balance/index.ts";
import {
  agentArgv,
  type Built,
  buildNetwork,
  HASH_NOTE,
  type NodeProcs,
  startNode,
  startRouters,
  writeManifest,
} from "./build.ts";
import type { FrrRouter, NextHop } from "./frr.ts";
import { type Netns, waitFor } from "./netns.ts";
import { SIGNALBOX_BIN } from "./paths.ts";
import { type Printer, pct } from "./print.ts";
import { type Allocation, allocate, clusterObjects, configMap, configYaml } from "./sample.ts";
import {
  CLIENT,
  HTTP_PORT,
  NODES,
  RACKS,
  type RackSpec,
  rackOf,
  statusAddress,
  torAddress,
  torUplink,
} from "./topology.ts";

export const REQUESTS = 300;

export interface RunOptions {
  readonly logLevel: string;
}

export interface Distribution {
  readonly answers: Record<string, number>;
  readonly errors: number;
  readonly firstError?: string;
}

interface StatusDoc {
  balance?: { services: ServiceBalance[] };
  layer2?: { addresses: { ip: string; answering: boolean; winner?: string }[] };
}

/** What the lab leaves running for the interactive part. */
export interface Running {
  readonly net: Built;
  readonly nodes: readonly NodeProcs[];
  readonly allocations: readonly Allocation[];
  readonly statusCommand: string;
}

export class LabRun {
  net!: Built;
  spine!: FrrRouter;
  tors!: Map<string, FrrRouter>;
  nodes: NodeProcs[] = [];
  allocations: Allocation[] = [];

  readonly lab: Netns;
  readonly out: Printer;
  readonly opts: RunOptions;
  constructor(lab: Netns, out: Printer, opts: RunOptions) {
    this.lab = lab;
    this.out = out;
    this.opts = opts;
  }

  ipOf(name: string): string {
    return this.allocations.find((a) => a.service.name === name)!.ip;
  }

  /** Who a next hop is: a node on a rack segment, or a ToR seen from the spine. */
  whoIs(gateway: string): string {
    const node = NODES.find((n) => n.address === gateway);
    if (node) return node.name;
    const rack = RACKS.find((r) => torUplink(r) === gateway);
    return rack ? `tor-${rack.name}` : gateway;
  }

  hops(h: readonly NextHop[]): string {
    return h.map((x) => `${this.whoIs(x.gateway)} (${x.gateway}) weight ${x.weight}`).join(", ") || "none";
  }

  async status(node: string): Promise<StatusDoc> {
    const n = NODES.find((x) => x.name === node)!;
    const body = await this.lab.run(
      this.net.nodeNs.get(node),
      ["curl", "-sS", "--max-time", "3", `http://${statusAddress(n)}/status`],
      5000,
    );
    return JSON.parse(body) as StatusDoc;
  }

  statusCommand(): string {
    const speakers = NODES.map(statusAddress).join(",");
    return `sudo ip netns exec ${this.net.clientNs} ${SIGNALBOX_BIN} status --speakers ${speakers}`;
  }

  async traffic(ip: string, count = REQUESTS): Promise<Distribution> {
    const outText = await this.lab.run(
      this.net.clientNs,
      agentArgv("fetch", `http://${ip}:${HTTP_PORT}/`, String(count), "8"),
      count * 2000 + 10_000,
    );
    return JSON.parse(outText.trim().split("\n").pop()!) as Distribution;
  }

  async run(): Promise<Running> {
    const o = this.out;
    await o.step("Network: namespaces, links and addresses", async () => {
      this.net = await buildNetwork(this.lab);
      o.say(`namespaces ${this.lab.prefix}* (logs and manifests in ${this.lab.dir})`);
      o.table(
        ["namespace", "role", "addresses"],
        [
          ["client", "client behind the spine", `${CLIENT.address}/24 (gateway ${CLIENT.spine})`],
          ["spine", "FRR, AS 65000", `${CLIENT.spine}, ${RACKS.map((r) => `${r.uplinkNet}.1`).join(", ")}`],
          ...RACKS.map((r) => [
            `tor-${r.name}`,
            `FRR, AS ${r.asn}, rack ${r.name}`,
            `${torUplink(r)} (uplink), ${torAddress(r)}/24 (rack segment, bridge)`,
          ]),
          ...NODES.map((n) => [`node-${n.name}`, `node of rack ${n.rack}`, `${n.address}/24`]),
        ],
      );
      o.say(HASH_NOTE);
    });

    await o.step("Routers: FRR on the spine and both ToRs", async () => {
      const routers = await startRouters(this.lab, this.net);
      this.spine = routers.spine;
      this.tors = routers.tors;
      o.table(
        ["router", "AS", "neighbors", "zebra, bgpd"],
        [this.spine, ...this.tors.values()].map((r) => [
          r.spec.name,
          String(r.spec.asn),
          r.spec.neighbors.map((n) => `${n.description} ${n.address}`).join(", "),
          r.daemons.map((d) => `pid ${d.pid}`).join(", "),
        ]),
      );
      o.say(
        "zebra + bgpd per namespace (not the system service); eBGP multipath (maximum-paths 16,",
        "as-path multipath-relax); the ToRs send the spine their rack's total link bandwidth",
        "(route-map TO-SPINE: set extcommunity bandwidth cumulative)",
      );
    });

    await o.step("Sample config and IP allocation (the allocator the controller uses)", async () => {
      this.allocations = allocate();
      o.say("ConfigMap metallb-system/config, data.config:");
      o.say(
        ...configYaml(false)
          .trimEnd()
          .split("\n")
          .map((l) => `  ${l}`),
      );
      o.say("");
      o.table(
        ["Service", "policy", "pool", "IP", "endpoints per node", "what it shows"],
        this.allocations.map((a) => [
          `default/${a.service.name}`,
          a.service.policy,
          a.pool,
          a.ip,
          Object.entries(a.service.endpoints)
            .map(([n, c]) => `${n}:${c}`)
            .join(" "),
          a.service.what,
        ]),
      );
    });

    await o.step("Nodes: a speaker (standalone) and an HTTP backend on each", async () => {
      const manifests = { "config.json": configMap(false), "cluster.json": clusterObjects(this.allocations) };
      const ips = this.allocations.map((a) => a.ip);
      for (const n of NODES)
        this.nodes.push(
          await startNode(this.lab, this.net.nodeNs.get(n.name)!, n, ips, manifests, this.opts.logLevel),
        );
      await Promise.all(
        this.nodes.map((p) =>
          waitFor(
            async () => {
              if (!p.speaker.running) throw new Error(`the speaker exited: ${p.speaker.logTail(10)}`);
              return this.status(p.node.name);
            },
            {
              what: `${p.node.name}'s speaker to answer /status on ${statusAddress(p.node)}`,
              timeoutMs: 30_000,
            },
          ),
        ),
      );
      o.table(
        ["node", "rack", "address", "status endpoint", "speaker", "HTTP backend"],
        this.nodes.map((p) => [
          p.node.name,
          p.node.rack,
          p.node.address,
          `http://${statusAddress(p.node)}/status`,
          `pid ${p.speaker.pid}`,
          `:${HTTP_PORT} (pid ${p.backend.pid})`,
        ]),
      );
      o.say(`Service IPs on every node's lo (as kube-proxy makes a node accept them): ${ips.join(", ")}`);
    });

    await o.step("BGP sessions (FRR's view)", async () => {
      const rows: string[][] = [];
      for (const [name, r] of [
        ["spine", this.spine] as const,
        ...[...this.tors].map(([k, t]) => [`tor-${k}`, t] as const),
      ]) {
        const sessions = await waitFor(() => r.sessions(), {
          what: `every BGP session of ${name} to be Established`,
          timeoutMs: 60_000,
          until: (s) => s.length > 0 && s.every((x) => x.state === "Established"),
        });
        for (const s of sessions)
          rows.push([
            name,
            s.neighbor,
            s.description,
            String(s.remoteAs),
            s.state,
            String(s.prefixesReceived),
          ]);
      }
      o.table(["router", "neighbor", "who", "AS", "state", "prefixes received"], rows);
    });

    const web = this.ipOf("web");
    const api = this.ipOf("api");
    await o.step("Routes with plain ECMP (kernel tables of the ToRs and the spine)", async () => {
      await this.waitRoutes(web, { r1: 1, r2: 3 }, () => true, "plain ECMP");
      await this.waitRoutes(api, { r1: 1, r2: 3 }, () => true, "plain ECMP");
      await this.printRoutes([web, api]);
      o.say("the spine splits every Service 50/50 over the racks: rack r1's one node takes half");
    });

    let plainBalance!: ServiceBalance;
    await o.step("Rack balance: the speakers' warning (/status balance)", async () => {
      const doc = await waitFor(() => this.status("n1"), {
        what: "n1's rack balance analysis to warn about default/web (it runs at most every 5 s)",
        timeoutMs: 30_000,
        until: (d) => d.balance?.services.some((s) => s.service === "default/web" && s.warning) ?? false,
      });
      plainBalance = doc.balance!.services.find((s) => s.service === "default/web")!;
      o.say(`${plainBalance.service}:`);
      o.say(...wrap(plainBalance.warning!, 96).map((l) => `  ${l}`));
      const cluster = doc.balance!.services.find((s) => s.service === "default/api");
      if (cluster?.warning) o.say(`default/api: ${cluster.summary}`);
    });

    let plain!: Distribution;
    await o.step(
      `Traffic, plain ECMP: ${REQUESTS} requests from the client to default/web (${web})`,
      async () => {
        plain = await this.traffic(web);
        this.printDistribution(plain, plainBalance, "share");
        checkAnswered(plain, REQUESTS);
      },
    );

    await o.step("Layer 2: default/intranet answered by one node of rack r2 (ARP)", async () => {
      const ip = this.ipOf("intranet");
      const owner: string = await waitFor(
        async () => {
          for (const n of NODES) {
            const a = (await this.status(n.name)).layer2?.addresses.find((x) => x.ip === ip);
            if (a?.answering) return n.name;
          }
          return "";
        },
        { what: `a speaker answering ARP for ${ip}`, timeoutMs: 30_000 },
      );
      const d = await this.traffic(ip, 20);
      checkAnswered(d, 20);
      const tor = this.net.torNs.get("r2")!;
      const [neigh] = JSON.parse(await this.lab.run(tor, ["ip", "-j", "neigh", "show", ip])) as {
        lladdr?: string;
      }[];
      const macOf = async (node: string) =>
        (
          JSON.parse(
            await this.lab.run(this.net.nodeNs.get(node)!, ["ip", "-j", "link", "show", "eth0"]),
          ) as {
            address: string;
          }[]
        )[0]!.address;
      const ownerMac = await macOf(owner);
      o.say(`elected: ${owner} (nodes with an endpoint: n3, n4; the others do not take part)`);
      o.say(`tor-r2 neighbour table: ${ip} lladdr ${neigh?.lladdr ?? "?"} = ${owner}'s eth0 (${ownerMac})`);
      o.say(
        `20 requests from the client: ${Object.entries(d.answers)
          .map(([k, v]) => `${k} ${v}`)
          .join(", ")}`,
      );
      if (neigh?.lladdr !== ownerMac)
        throw new Error(`tor-r2 resolved ${ip} to ${neigh?.lladdr}, not ${owner}'s ${ownerMac}`);
      if (d.answers[owner] !== 20)
        throw new Error(`not every request reached ${owner}: ${JSON.stringify(d.answers)}`);
    });

    let weightedBalance!: ServiceBalance;
    await o.step("Weighted announcements: link-bandwidth: endpoints on pool public", async () => {
      for (const p of this.nodes) writeManifest(p.dir, "config.json", configMap(true));
      o.say("rewrote config.json in every node's folder (the pool gains `link-bandwidth: endpoints`)");
      const doc = await waitFor(() => this.status("n1"), {
        what: "n1's analysis to see the weighted pool",
        timeoutMs: 30_000,
        until: (d) => d.balance?.services.find((s) => s.service === "default/web")?.linkBandwidth === true,
      });
      weightedBalance = doc.balance!.services.find((s) => s.service === "default/web")!;
      const weight = (node: string) => weightedBalance.nodes.find((n) => n.node === node)?.weight ?? 0;
      o.say(
        `announced weights (Link Bandwidth community, 1 Mbit/s per endpoint): ${weightedBalance.nodes.map((n) => `${n.node}=${n.weight}`).join(" ")}`,
      );
      const want = (rack: RackSpec) =>
        frrWeights(NODES.filter((n) => n.rack === rack.name).map((n) => weight(n.name)));
      const spineWant = frrWeights(
        RACKS.map((r) => NODES.filter((n) => n.rack === r.name).reduce((s, n) => s + weight(n.name), 0)),
      );
      await this.waitRoutes(
        web,
        { r1: 1, r2: 3 },
        (where, hops) => {
          const w = hops.map((h) => h.weight);
          if (where === "spine") return same(w, spineWant);
          return same(w, want(rackOf(where)));
        },
        `weights ToR r2 ${want(rackOf("r2")).join("/")}, spine ${spineWant.join("/")}`,
      );
      await this.printRoutes([web]);
      o.say(
        weightedBalance.warning
          ? `still warned: ${weightedBalance.warning}`
          : "no rack balance warning any more: the weights correct it",
      );
    });

    await o.step(`Traffic, weighted: ${REQUESTS} requests to default/web again`, async () => {
      const weighted = await this.traffic(web);
      checkAnswered(weighted, REQUESTS);
      o.table(
        ["node", "rack", "endpoints", "plain: expected", "measured", "weighted: expected", "measured"],
        NODES.map((n) => {
          const p = plainBalance.nodes.find((x) => x.node === n.name);
          const w = weightedBalance.nodes.find((x) => x.node === n.name);
          return [
            n.name,
            n.rack,
            String(p?.endpoints ?? 0),
            pct(p?.share ?? 0),
            pct((plain.answers[n.name] ?? 0) / REQUESTS),
            pct(w?.weightedShare ?? 0),
            pct((weighted.answers[n.name] ?? 0) / REQUESTS),
          ];
        }),
      );
      const r1 = (d: Distribution) => (d.answers["n1"] ?? 0) / REQUESTS;
      o.say(`n1 (alone in rack r1): ${pct(r1(plain))} with plain ECMP → ${pct(r1(weighted))} weighted`);
      // 300 requests: the shares' standard error is under 3 points; 50% → 20% moves 30.
      if (r1(plain) - r1(weighted) < 0.1)
        throw new Error("the weights did not move traffic away from n1 (less than 10 points)");
    });

    const statusCommand = this.statusCommand();
    await o.step("signalbox status (run from the client namespace)", async () => {
      const argv = [SIGNALBOX_BIN, "status", "--speakers", NODES.map(statusAddress).join(",")];
      const r = await this.lab.exec(this.net.clientNs, argv, 20_000);
      o.say(`$ ${statusCommand}`);
      o.say(r.stdout.trimEnd());
      if (r.code !== 0) throw new Error(`signalbox status exited ${r.code}: ${r.stderr.trim()}`);
    });

    return { net: this.net, nodes: this.nodes, allocations: this.allocations, statusCommand };
  }

  /** Waits until each ToR and the spine has the expected next hops for `ip`, passing `ok`. */
  async waitRoutes(
    ip: string,
    perRack: Record<string, number>,
    ok: (where: string, hops: NextHop[]) => boolean,
    what: string,
  ): Promise<void> {
    const checks: [string, FrrRouter, number][] = [
      ["spine", this.spine, RACKS.length],
      ...RACKS.map(
        (r) => [r.name, this.tors.get(r.name)!, perRack[r.name] ?? 0] as [string, FrrRouter, number],
      ),
    ];
    for (const [where, router, count] of checks)
      await waitFor(() => router.kernelNextHops(`${ip}/32`), {
        what: `${where === "spine" ? "the spine" : `tor-${where}`} to install ${ip} via ${count} next hop(s) (${what})`,
        timeoutMs: 60_000,
        intervalMs: 500,
        until: (h) => h.length === count && ok(where, h),
      });
  }

  async printRoutes(ips: readonly string[]): Promise<void> {
    const rows: string[][] = [];
    for (const ip of ips) {
      const svc = this.allocations.find((a) => a.ip === ip)!.service.name;
      for (const [name, r] of [
        ...[...this.tors].map(([k, t]) => [`tor-${k}`, t] as const),
        ["spine", this.spine] as const,
      ])
        rows.push([name, `${ip}/32 (${svc})`, this.hops(await r.kernelNextHops(`${ip}/32`))]);
    }
    this.out.table(["router", "route", "next hops (ip route: nexthop … weight)"], rows);
  }

  printDistribution(d: Distribution, b: ServiceBalance, field: "share" | "weightedShare"): void {
    this.out.table(
      ["node", "rack", "endpoints", "expected", "measured", "requests"],
      NODES.map((n) => {
        const s = b.nodes.find((x) => x.node === n.name);
        const got = d.answers[n.name] ?? 0;
        return [
          n.name,
          n.rack,
          String(s?.endpoints ?? 0),
          pct(s?.[field] ?? 0),
          pct(got / REQUESTS),
          String(got),
        ];
      }),
    );
  }
}

function checkAnswered(d: Distribution, count: number): void {
  const got = Object.values(d.answers).reduce((a, b) => a + b, 0);
  if (d.errors > 0 || got !== count)
    throw new Error(`${d.errors} of ${count} requests failed (first: ${d.firstError ?? "?"})`);
}

/**
 * The kernel weights FRR 8.x programs for weighted ECMP: floor(100 × bandwidth / sum), at
 * least 1 (src/config/README.md, measured in test/netns/balance.test.ts).
 */
export function frrWeights(bandwidths: readonly number[]): number[] {
  if (bandwidths.length === 1) return [1];
  const total = bandwidths.reduce((a, b) => a + b, 0);
  return bandwidths.map((b) => Math.max(1, Math.floor((b * 100) / total)));
}

/** Next hops come sorted by gateway, which is the order of RACKS and of NODES. */
const same = (a: readonly number[], b: readonly number[]) => JSON.stringify(a) === JSON.stringify(b);

export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let cur = "";
  for (const word of text.split(/\s+/)) {
    if (cur && cur.length + 1 + word.length > width) {
      lines.push(cur);
      cur = word;
    } else cur = cur ? `${cur} ${word}` : word;
  }
  if (cur) lines.push(cur);
  return lines;
}
