// Our own speaker in a namespace, driven the way an operator would drive a standalone host: a
// folder of Kubernetes manifests (src/cluster/README.md) that the test writes and rewrites,
// `bin/signalbox speaker --standalone DIR` started with Lab.spawn, and GET /status read with
// curl inside the namespace (each namespace has its own loopback, so the status port never
// collides).
//
//   const sp = await speaker.start(lab, nodeNs, {
//     node: "n1",
//     peers: [{ address: "10.0.9.1", peerAsn: 65000, myAsn: 65001, holdTime: 3 }],
//     pools: [{ name: "p", addresses: ["10.100.0.0/24"], advertisements: [{ communities: ["65001:1"] }] }],
//     services: [{ name: "web", ips: ["10.100.0.1"] }],
//   });
//   await sp.waitEstablished("10.0.9.1");
//   await sp.setServices([]);            // rewrites services.json: the route is withdrawn
//   const p = await sp.peer("10.0.9.1"); // this peer's entry of /status
//
// Manifests are written as JSON (the folder reads JSON as YAML), the config inside the
// ConfigMap as block YAML with every string double-quoted. Rewrites go through a dot-file and
// a rename, so the speaker never reads a half-written file.

import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Daemon, Lab } from "./netns.ts";
import { waitFor } from "./wait.ts";

/** The project's launcher (pinned Node 24); tests run from the repository root or anywhere. */
export const SIGNALBOX_BIN = new URL("../../../bin/signalbox", import.meta.url).pathname;

/** One `peers[]` entry of the MetalLB config (src/config/README.md), in test-friendly names. */
export interface SpeakerPeer {
  /** peer-address */
  address: string;
  peerAsn: number;
  myAsn: number;
  port?: number;
  /** hold-time in seconds (default 3 here, not MetalLB's 90: tests want failures noticed fast). */
  holdTime?: number;
  keepaliveTime?: number;
  routerId?: string;
  sourceAddress?: string;
  password?: string;
  passive?: boolean;
  gracefulRestart?: boolean;
  /** graceful-restart-time in seconds. */
  gracefulRestartTime?: number;
  nextHopV4?: string;
  nextHopV6?: string;
  /** Extra lines for this peer's YAML (indented two spaces), e.g. node-selectors. */
  extra?: string[];
}

export interface SpeakerAdvertisement {
  aggregationLength?: number;
  aggregationLengthV6?: number;
  localpref?: number;
  /** "a:b", "large:a:b:c" or an alias from `communities` of the config. */
  communities?: string[];
}

export interface SpeakerPool {
  name: string;
  /** CIDRs or ranges. */
  addresses: string[];
  /** Default "bgp". */
  protocol?: "bgp" | "layer2";
  advertisements?: SpeakerAdvertisement[];
}

export interface SpeakerService {
  name: string;
  namespace?: string;
  /** status.loadBalancer.ingress[].ip */
  ips: string[];
  externalTrafficPolicy?: "Cluster" | "Local";
}

export interface SpeakerConfig {
  peers: SpeakerPeer[];
  pools: SpeakerPool[];
  /** bgp-communities aliases. */
  communityAliases?: Record<string, string>;
}

export interface SpeakerOptions extends SpeakerConfig {
  /** --node (default "node1"). */
  node?: string;
  services?: SpeakerService[];
  /** Other manifests (Nodes, EndpointSlices, …) as objects, written to extra.json as a List. */
  objects?: unknown[];
  /** --bgp-listen (default "[::]:179": IPv4 and IPv6); "off" for active sessions only. */
  bgpListen?: string;
  /** --stop (default graceful, the CLI's default). */
  stop?: "graceful" | "notify";
  /** Status port on the namespace's 127.0.0.1 (default 7473). */
  statusPort?: number;
  /** --log-level (default debug: the log is the first thing to read when a test fails). */
  logLevel?: string;
}

export interface MessageCounters {
  open: number;
  update: number;
  notification: number;
  keepalive: number;
  routeRefresh: number;
}

/** The parts of a /status peer entry the tests read (src/speaker/bgp/session.ts SessionStatus). */
export interface PeerStatus {
  key: string;
  peerAddress: string;
  peerPort: number;
  localAs: number;
  peerAs: number;
  routerId: string;
  state: string;
  uptimeSeconds?: number;
  holdTime?: number;
  keepaliveTime?: number;
  capabilities?: {
    fourOctetAs: boolean;
    extendedMessage: boolean;
    routeRefresh: boolean;
    enhancedRouteRefresh: boolean;
    families: string[];
    peerGracefulRestart?: { restartTime: number; restarting: boolean };
  };
  prefixes: { advertised: { ipv4: number; ipv6: number }; received: number; desired: number };
  messages: { sent: MessageCounters; received: MessageCounters };
  flaps: number;
  connection?: { local: string; remote: string; initiatedBy: "us" | "peer" };
  lastError?: {
    kind: string;
    text: string;
    code?: number;
    subcode?: number;
    at: string;
    description?: string;
  };
  unsendable?: { count: number; reason: string };
}

export interface StatusJson {
  node: string;
  config: { state: string; errors?: string[]; warnings?: string[] };
  listener?: { address: string; up: boolean; error?: string };
  peers: PeerStatus[];
  services: unknown[];
  source?: { dir: string; problems: string[] };
}

/** Our speaker running in a namespace from a manifest folder it watches. */
export class SignalboxSpeaker {
  readonly lab: Lab;
  readonly ns: string;
  /** The manifest folder (inside the lab's temp dir). */
  readonly dir: string;
  readonly node: string;
  readonly statusUrl: string;
  #options: SpeakerOptions;
  #daemon: Daemon | undefined;
  #starts = 0;

  constructor(lab: Lab, ns: string, options: SpeakerOptions) {
    this.lab = lab;
    this.ns = ns;
    this.#options = options;
    this.node = options.node ?? "node1";
    this.dir = lab.path(`${ns.slice(lab.prefix.length)}-signalbox`);
    this.statusUrl = `http://127.0.0.1:${options.statusPort ?? 7473}/status`;
  }

  /** The running process (undefined before start). */
  get daemon(): Daemon | undefined {
    return this.#daemon;
  }

  /** Writes the folder (first start only) and starts the process; resolves once /status answers. */
  async start(): Promise<void> {
    const o = this.#options;
    if (this.#starts === 0) {
      mkdirSync(this.dir, { recursive: true });
      this.writeConfig(o);
      this.#writeServices(o.services ?? []);
      if (o.objects?.length) this.writeManifest("extra.json", list(o.objects));
    }
    const argv = [
      SIGNALBOX_BIN,
      "speaker",
      ...["--standalone", this.dir, "--node", this.node],
      ...["--status-address", `127.0.0.1:${o.statusPort ?? 7473}`],
      ...["--bgp-listen", o.bgpListen ?? "[::]:179"],
      ...["--stop", o.stop ?? "graceful", "--log-level", o.logLevel ?? "debug"],
    ];
    this.#daemon = this.lab.spawn(this.ns, argv, {
      logFile: join(this.lab.dir, `${this.ns.slice(this.lab.prefix.length)}.signalbox.${this.#starts++}.log`),
    });
    try {
      await waitFor(
        async () => {
          if (!this.#daemon?.running) throw new Error(`signalbox exited: ${this.logTail(20)}`);
          const s = await this.status();
          return s.config.state !== "missing";
        },
        {
          what: `signalbox in ${this.ns} serving /status with its config`,
          timeoutMs: 15_000,
          intervalMs: 100,
        },
      );
    } catch (err) {
      throw this.#withLog(err);
    }
  }

  /** GET /status inside the namespace. Throws if the speaker does not answer within 3 s. */
  async status(): Promise<StatusJson> {
    const r = await this.lab.exec(this.ns, ["curl", "-sS", "--max-time", "2", this.statusUrl], {
      timeoutMs: 3000,
    });
    if (r.code !== 0) throw new Error(`GET ${this.statusUrl} in ${this.ns}: ${r.stderr.trim() || r.code}`);
    return JSON.parse(r.stdout) as StatusJson;
  }

  /** GET /metrics inside the namespace (Prometheus text). */
  async metrics(): Promise<string> {
    const url = this.statusUrl.replace(/\/status$/, "/metrics");
    const r = await this.lab.exec(this.ns, ["curl", "-sS", "--max-time", "2", url], { timeoutMs: 3000 });
    if (r.code !== 0) throw new Error(`GET ${url} in ${this.ns}: ${r.stderr.trim() || r.code}`);
    return r.stdout;
  }

  /** This peer's /status entry (by peer address), or undefined if the speaker has none. */
  async peer(address: string): Promise<PeerStatus | undefined> {
    const s = await this.status();
    return s.peers.find((p) => p.peerAddress === address);
  }

  /** Waits until the peer's /status entry satisfies `until`; returns it. */
  async waitPeer(
    address: string,
    until: (p: PeerStatus) => boolean,
    what: string,
    timeoutMs = 20_000,
  ): Promise<PeerStatus> {
    try {
      const p = await waitFor(() => this.peer(address), {
        what: `signalbox in ${this.ns}: peer ${address} ${what}`,
        timeoutMs,
        intervalMs: 100,
        until: (x) => x !== undefined && until(x),
      });
      return p as PeerStatus;
    } catch (err) {
      throw this.#withLog(err);
    }
  }

  /** Waits until our session with `address` is Established (and its negotiation reported). */
  waitEstablished(address: string, timeoutMs = 20_000): Promise<PeerStatus> {
    return this.waitPeer(
      address,
      (p) => p.state === "Established" && p.holdTime !== undefined,
      "Established",
      timeoutMs,
    );
  }

  /** Replaces the Services (rewrites services.json); the speaker picks it up by watching. */
  async setServices(services: SpeakerService[]): Promise<void> {
    this.#options = { ...this.#options, services };
    this.#writeServices(services);
  }

  /** Replaces the ConfigMap's config (rewrites config.json). */
  writeConfig(config: SpeakerConfig): void {
    this.#options = { ...this.#options, ...config };
    const cm = {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { namespace: "metallb-system", name: "config" },
      data: { config: configYaml(config) },
    };
    this.writeManifest("config.json", cm);
  }

  /** Writes one manifest file (an object, or raw text) atomically: dot-file, then rename. */
  writeManifest(name: string, content: unknown): void {
    const text = typeof content === "string" ? content : `${JSON.stringify(content, null, 2)}\n`;
    const tmp = join(this.dir, `.${name}.tmp`);
    writeFileSync(tmp, text);
    renameSync(tmp, join(this.dir, name));
  }

  #writeServices(services: SpeakerService[]): void {
    this.writeManifest("services.json", list(services.map(serviceObject)));
  }

  /** SIGTERM (the --stop mode applies), bounded; SIGKILL after 3 s. */
  async stop(): Promise<void> {
    await this.#daemon?.stop(3000);
  }

  /** SIGKILL: a crash. */
  async kill(): Promise<void> {
    await this.#daemon?.kill();
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  logTail(lines = 30): string {
    return this.#daemon?.logTail(lines) ?? "";
  }

  #withLog(err: unknown): Error {
    const e = err instanceof Error ? err : new Error(String(err));
    e.message += `\nsignalbox log tail (${this.#daemon?.logFile}):\n${this.logTail(15)}`;
    return e;
  }
}

/** Writes the manifest folder and starts our speaker in `ns`; resolves once /status answers. */
export async function start(lab: Lab, ns: string, options: SpeakerOptions): Promise<SignalboxSpeaker> {
  const s = new SignalboxSpeaker(lab, ns, options);
  await s.start();
  return s;
}

function list(items: unknown[]): unknown {
  return { apiVersion: "v1", kind: "List", items };
}

export function serviceObject(s: SpeakerService): unknown {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: s.name, namespace: s.namespace ?? "default" },
    spec: {
      type: "LoadBalancer",
      externalTrafficPolicy: s.externalTrafficPolicy ?? "Cluster",
      ports: [{ port: 80, protocol: "TCP" }],
    },
    status: { loadBalancer: { ingress: s.ips.map((ip) => ({ ip })) } },
  };
}

const q = (s: string) => JSON.stringify(s);

/** The MetalLB config YAML for `data.config` (src/config/README.md). */
export function configYaml(c: SpeakerConfig): string {
  const l: string[] = ["peers:"];
  for (const p of c.peers) {
    l.push(`- peer-address: ${q(p.address)}`, `  peer-asn: ${p.peerAsn}`, `  my-asn: ${p.myAsn}`);
    if (p.port !== undefined) l.push(`  peer-port: ${p.port}`);
    l.push(`  hold-time: ${q(`${p.holdTime ?? 3}s`)}`);
    if (p.keepaliveTime !== undefined) l.push(`  keepalive-time: ${q(`${p.keepaliveTime}s`)}`);
    if (p.routerId !== undefined) l.push(`  router-id: ${q(p.routerId)}`);
    if (p.sourceAddress !== undefined) l.push(`  source-address: ${q(p.sourceAddress)}`);
    if (p.password !== undefined) l.push(`  password: ${q(p.password)}`);
    if (p.passive !== undefined) l.push(`  passive: ${p.passive}`);
    if (p.gracefulRestart !== undefined) l.push(`  graceful-restart: ${p.gracefulRestart}`);
    if (p.gracefulRestartTime !== undefined)
      l.push(`  graceful-restart-time: ${q(`${p.gracefulRestartTime}s`)}`);
    if (p.nextHopV4 !== undefined) l.push(`  next-hop-v4: ${q(p.nextHopV4)}`);
    if (p.nextHopV6 !== undefined) l.push(`  next-hop-v6: ${q(p.nextHopV6)}`);
    for (const x of p.extra ?? []) l.push(`  ${x}`);
  }
  l.push("address-pools:");
  for (const pool of c.pools) {
    l.push(`- name: ${q(pool.name)}`, `  protocol: ${pool.protocol ?? "bgp"}`, "  addresses:");
    for (const a of pool.addresses) l.push(`  - ${q(a)}`);
    if (pool.advertisements !== undefined) {
      l.push("  bgp-advertisements:");
      for (const ad of pool.advertisements) {
        const parts: string[] = [];
        if (ad.aggregationLength !== undefined) parts.push(`aggregation-length: ${ad.aggregationLength}`);
        if (ad.aggregationLengthV6 !== undefined)
          parts.push(`aggregation-length-v6: ${ad.aggregationLengthV6}`);
        if (ad.localpref !== undefined) parts.push(`localpref: ${ad.localpref}`);
        if (ad.communities !== undefined) parts.push(`communities: [${ad.communities.map(q).join(", ")}]`);
        if (parts.length === 0) l.push("  - {}");
        else for (const [i, p] of parts.entries()) l.push(`  ${i === 0 ? "-" : " "} ${p}`);
      }
    }
  }
  const aliases = Object.entries(c.communityAliases ?? {});
  if (aliases.length > 0) {
    l.push("bgp-communities:");
    for (const [k, v] of aliases) l.push(`  ${q(k)}: ${q(v)}`);
  }
  return `${l.join("\n")}\n`;
}
