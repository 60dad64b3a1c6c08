/**
 * The layer-2 runtime: packet sockets on the chosen interfaces, the heartbeat, the election
 * and the ARP/NDP answers. The decisions are pure functions (election.ts, members.ts,
 * announce.ts, interfaces.ts, protocol/l2 respond()); this class holds the sockets, the
 * timer and the state between them, and reports it in `status()`.
 *
 *   every tick (25 ms): heartbeat due? → send on every port · a peer's hold time ran out? →
 *   elect again · announcement rounds due? → send gratuitous ARP / unsolicited NA
 *   every frame: heartbeat → members (elect again if a peer's standing changed); ARP request
 *   or NS → respond()
 */
import type { IpAddress } from "../../../protocol/ip/index.ts";
import {
  AddressSet,
  decodeEthernet,
  decodeHeartbeat,
  gratuitousArpFrames,
  HEARTBEAT_ETHERTYPE,
  HEARTBEAT_GROUP,
  heartbeatFrame,
  type IgnoreReason,
  ipv6MulticastMac,
  neighborFilterBytes,
  respond,
  solicitedNodeAddress,
  unsolicitedAdvertisementFrame,
} from "../../../protocol/l2/index.ts";
import type { Logger } from "../../observe/logger.ts";
import type { LinkInfo } from "../../platform/links.ts";
import { InterfaceDownError, type Netsys, type PacketSocketLike } from "../../platform/netsys.ts";
import { type Clock, type Random, systemClock } from "../bgp/clock.ts";
import type { L2Address } from "../plan.ts";
import { ANNOUNCE_OFFSETS_MS, nextRoundAt, roundsDue } from "./announce.ts";
import { type LivenessArbiter, noArbiter } from "./arbiter.ts";
import { type Elected, homes, type Winner, winners } from "./election.ts";
import { chooseLinks, interfacesFor, type Port, type SkipReason } from "./interfaces.ts";
import { Members, type MemberView } from "./members.ts";

export interface L2Settings {
  /** Heartbeat interval. */
  readonly intervalMs: number;
  /** Our hold time, sent in every heartbeat: peers count us dead this long after the last one. */
  readonly holdMs: number;
  /** After the first port opens: listen this long before taking part in elections. */
  readonly warmupMs: number;
  /** Granularity of timers (detection is hold time + up to one tick). */
  readonly tickMs: number;
  /** How often interfaces are read again (up/down, addresses, new links). */
  readonly rescanMs: number;
  /** At most one counter-announcement per address this often when another MAC claims it. */
  readonly conflictRepeatMs: number;
  readonly announceOffsetsMs: readonly number[];
  /** Rounds sent to re-assert ownership when a peer comes back (it may have announced too). */
  readonly reassertOffsetsMs: readonly number[];
}

export const defaultL2Settings: L2Settings = {
  intervalMs: 100,
  holdMs: 350,
  warmupMs: 400,
  tickMs: 25,
  rescanMs: 2000,
  conflictRepeatMs: 2000,
  announceOffsetsMs: ANNOUNCE_OFFSETS_MS,
  reassertOffsetsMs: [0, 300, 1000],
};

export interface L2RuntimeOptions {
  readonly node: string;
  readonly logger: Logger;
  /** The door to packet sockets (only `openPacket` is used); called once, when the first port is needed. */
  readonly netsys: () => Pick<Netsys, "openPacket">;
  /** The host's interfaces, read at every rescan. */
  readonly links: () => readonly LinkInfo[];
  readonly clock?: Clock;
  readonly random?: Random;
  readonly arbiter?: LivenessArbiter;
  readonly settings?: Partial<L2Settings>;
  /** Reads a sysctl (`net/ipv4/conf/all/arp_ignore`); for the strictARP check. */
  readonly sysctl?: (name: string) => string | undefined;
}

/** What the speaker's plan gives the runtime. */
export interface L2Plan {
  /** Addresses this node is eligible for (plan.ts `Desired.l2`). */
  readonly eligible: readonly L2Address[];
  /** Every layer-2 address with its eligible nodes (`Desired.l2Cluster`). */
  readonly cluster: readonly L2Address[];
  /** Pool name → its `interfaces` (empty: found from the subnets). */
  readonly poolInterfaces: ReadonlyMap<string, readonly string[]>;
}

export type NotAnsweringReason =
  /** Another node won the election (`winner` says which). */
  | "notElected"
  /** No eligible node is alive. */
  | "noLiveNode"
  /** None of the address's interfaces is usable here (see `interfaces` in status). */
  | "noInterface"
  /** We are still listening for peers after start. */
  | "warmingUp"
  /** The packet socket door failed (see `error`). */
  | "unavailable";

export interface L2AddressStatus {
  readonly ip: string;
  readonly pool: string;
  readonly services: readonly string[];
  readonly interfaces: readonly string[];
  readonly answering: boolean;
  readonly reason?: NotAnsweringReason;
  readonly winner?: string;
  readonly home?: string;
  /** The home node is dead and another covers the address. */
  readonly orphan: boolean;
  readonly since?: string;
  readonly replies: number;
  readonly gratuitous: number;
  readonly conflicts: number;
}

export interface L2Status {
  readonly ready: boolean;
  readonly error?: string;
  /** Host settings that make layer 2 misbehave (e.g. kube-proxy IPVS without strictARP); absent when none. */
  readonly warnings?: readonly string[];
  readonly incarnation: number;
  readonly settings: { readonly intervalMs: number; readonly holdMs: number };
  readonly interfaces: readonly {
    readonly name: string;
    readonly mac?: string;
    readonly open: boolean;
    readonly skipped?: SkipReason;
  }[];
  readonly members: readonly MemberView[];
  readonly addresses: readonly L2AddressStatus[];
  readonly counters: {
    readonly framesReceived: number;
    readonly heartbeatsSent: number;
    readonly heartbeatsReceived: number;
    readonly heartbeatsMalformed: number;
    /** Heartbeats carrying our own node name from another host: a misconfiguration. */
    readonly heartbeatsWithOurName: number;
    readonly replies: number;
    readonly gratuitous: number;
    readonly sendErrors: number;
    readonly ignored: Readonly<Partial<Record<IgnoreReason, number>>>;
    readonly elections: number;
  };
}

interface OpenPort {
  readonly port: Port;
  readonly socket: PacketSocketLike;
  answers: AddressSet;
  /** Solicited-node group MACs joined, as text → the MAC bytes. */
  groups: Map<string, Uint8Array>;
}

interface Owned {
  readonly ip: IpAddress;
  readonly since: number;
  start: number;
  sent: number;
  offsets: readonly number[];
  ports: readonly string[];
  lastConflictRound: number;
}

interface Counts {
  replies: number;
  gratuitous: number;
  conflicts: number;
}

const keyOf = (ip: IpAddress) => ip.toString();

export class L2Runtime {
  private readonly opts: L2RuntimeOptions;
  private readonly s: L2Settings;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly arbiter: LivenessArbiter;
  private readonly members: Members;
  readonly incarnation: number;
  private sequence = 0;
  private netsys: Pick<Netsys, "openPacket"> | undefined;
  private error: string | undefined;
  private plan: L2Plan = { eligible: [], cluster: [], poolInterfaces: new Map() };
  private clusterKey = "";
  private elected: Map<string, Elected> = new Map();
  private decided: Map<string, Winner> = new Map();
  private usable: readonly Port[] = [];
  private skipped: readonly { name: string; reason: SkipReason }[] = [];
  private warnings: string[] = [];
  private readonly ports = new Map<string, OpenPort>();
  private readonly owned = new Map<string, Owned>();
  private readonly counts = new Map<string, Counts>();
  private readonly ignored: Partial<Record<IgnoreReason, number>> = {};
  private aliveKey = "";
  private alive = new Set<string>();
  private warmupUntil: number | undefined;
  private isReady = false;
  private timer: unknown;
  private nextHeartbeat = 0;
  private nextRescan = 0;
  private stopped = false;
  private c = {
    framesReceived: 0,
    heartbeatsSent: 0,
    heartbeatsReceived: 0,
    heartbeatsMalformed: 0,
    heartbeatsWithOurName: 0,
    replies: 0,
    gratuitous: 0,
    sendErrors: 0,
    elections: 0,
  };

  constructor(opts: L2RuntimeOptions) {
    this.opts = opts;
    this.s = { ...defaultL2Settings, ...opts.settings };
    if (this.s.holdMs < this.s.intervalMs * 2)
      throw new RangeError(`hold time ${this.s.holdMs} ms must be at least twice the interval`);
    this.log = opts.logger.child({ component: "layer2" });
    this.clock = opts.clock ?? systemClock;
    this.arbiter = opts.arbiter ?? noArbiter;
    this.members = new Members(opts.node);
    this.incarnation = Math.floor((opts.random ?? Math.random)() * 0xffffffff) >>> 0;
  }

  /** Applies a new plan: interfaces, then the election. */
  apply(plan: L2Plan): void {
    if (this.stopped) return;
    this.plan = plan;
    const key = JSON.stringify(plan.cluster.map((a) => [keyOf(a.ip), a.eligibleNodes]));
    if (key !== this.clusterKey) {
      this.clusterKey = key;
      this.elected = homes(plan.cluster.map((a) => ({ key: keyOf(a.ip), eligible: a.eligibleNodes })));
    }
    const now = this.clock.now();
    this.rescan(now);
    this.elect(now);
    this.arm();
  }

  /** True while this node can take part: ready, with at least one open port. */
  healthy(): boolean {
    return this.isReady && this.ports.size > 0 && this.error === undefined;
  }

  // ---------- interfaces and sockets ----------

  private rescan(now: number): void {
    this.nextRescan = now + this.s.rescanMs;
    let links: readonly LinkInfo[];
    try {
      links = this.opts.links();
    } catch (e) {
      this.log.warn({ err: e }, "reading interfaces failed");
      return;
    }
    const choice = chooseLinks(links);
    this.usable = choice.usable;
    this.skipped = choice.skipped;
    this.checkHost(links);
    const wanted = new Map<string, Port>();
    for (const a of this.plan.eligible) {
      for (const name of interfacesFor(a.ip, this.plan.poolInterfaces.get(a.pool), this.usable))
        wanted.set(name, this.usable.find((p) => p.name === name)!);
    }
    for (const [name, op] of this.ports) {
      const w = wanted.get(name);
      if (w === undefined || w.index !== op.port.index || !w.mac.equals(op.port.mac)) this.close(name, op);
    }
    for (const [name, port] of wanted) if (!this.ports.has(name)) this.open(port, now);
  }

  /**
   * kube-proxy in IPVS mode puts every Service IP on kube-ipvs0, so every node's kernel would
   * answer ARP for them too, unless strictARP set arp_ignore=1 and arp_announce=2 (MetalLB
   * #153; checklist §9.1 "Prerequisites").
   */
  private checkHost(links: readonly LinkInfo[]): void {
    const warnings: string[] = [];
    if (links.some((l) => l.name.startsWith("kube-ipvs")) && this.opts.sysctl !== undefined) {
      const ignore = Number(this.opts.sysctl("net/ipv4/conf/all/arp_ignore") ?? "0");
      const announce = Number(this.opts.sysctl("net/ipv4/conf/all/arp_announce") ?? "0");
      if (!(ignore >= 1 && announce >= 2))
        warnings.push(
          `kube-proxy IPVS (kube-ipvs0) without strictARP: net.ipv4.conf.all.arp_ignore=${ignore}, arp_announce=${announce}; every node's kernel answers ARP for Service IPs. Set strictARP: true in kube-proxy's config (arp_ignore=1, arp_announce=2)`,
        );
    }
    if (warnings.join() !== this.warnings.join()) for (const w of warnings) this.log.warn(w);
    this.warnings = warnings;
  }

  private open(port: Port, now: number): void {
    try {
      this.netsys ??= this.opts.netsys();
      const socket = this.netsys.openPacket({
        ifindex: port.index,
        filter: neighborFilterBytes(),
        multicastMacs: [HEARTBEAT_GROUP.toBytes()],
      });
      const op: OpenPort = { port, socket, answers: new AddressSet([]), groups: new Map() };
      socket.onFrame(
        (frame) => this.onFrame(op, frame),
        (e) => this.log.warn({ interface: port.name, err: e }, "receive error"),
      );
      this.ports.set(port.name, op);
      this.error = undefined;
      this.warmupUntil ??= now + this.s.warmupMs;
      this.log.info({ interface: port.name, mac: String(port.mac) }, "layer-2 port open");
      this.sendHeartbeats(now);
    } catch (e) {
      const error = `${port.name}: ${(e as Error).message}`;
      // Tried again at every rescan: log when the problem changes, not every 2 s.
      if (error !== this.error)
        this.log.error({ interface: port.name, err: e }, "cannot open a packet socket: layer 2 unavailable");
      this.error = error;
    }
  }

  private close(name: string, op: OpenPort): void {
    try {
      op.socket.close();
    } catch {
      // closing twice or a vanished interface: nothing left to release
    }
    this.ports.delete(name);
    this.log.info({ interface: name }, "layer-2 port closed");
  }

  // ---------- the election ----------

  private computeAlive(now: number): Set<string> {
    const alive = this.members.alive(now, this.arbiter);
    if (this.isReady && this.ports.size > 0) alive.add(this.opts.node);
    return alive;
  }

  private elect(now: number): void {
    this.c.elections++;
    const before = this.alive;
    this.alive = this.computeAlive(now);
    this.aliveKey = [...this.alive].sort().join(",");
    const returned = [...this.alive].some((n) => n !== this.opts.node && !before.has(n));
    this.decided = winners(this.elected, this.alive);
    const keep = new Set<string>();
    for (const a of this.plan.eligible) {
      const k = keyOf(a.ip);
      const w = this.decided.get(k);
      const ifs = this.portsFor(a);
      if (w?.winner !== this.opts.node || ifs.length === 0 || !this.isReady) continue;
      keep.add(k);
      const o = this.owned.get(k);
      if (o === undefined) {
        this.owned.set(k, {
          ip: a.ip,
          since: this.clock.wallNow(),
          start: now,
          sent: 0,
          offsets: this.s.announceOffsetsMs,
          ports: ifs,
          lastConflictRound: Number.NEGATIVE_INFINITY,
        });
        this.log.info({ ip: k, interfaces: ifs, home: w.home, orphan: w.orphan }, "answering for address");
      } else if (o.ports.join() !== ifs.join()) {
        Object.assign(o, { ports: ifs, start: now, sent: 0, offsets: this.s.announceOffsetsMs });
      } else if (returned && roundsDue(o.start, now, o.offsets) >= o.offsets.length) {
        // A peer is back: it may have announced this address while it could not hear us.
        Object.assign(o, { start: now, sent: 0, offsets: this.s.reassertOffsetsMs });
      }
    }
    for (const [k] of this.owned) {
      if (keep.has(k)) continue;
      this.owned.delete(k);
      this.log.info({ ip: k, winner: this.decided.get(k)?.winner }, "no longer answering for address");
    }
    this.refreshPorts();
    this.announce(now);
  }

  private portsFor(a: L2Address): string[] {
    return interfacesFor(a.ip, this.plan.poolInterfaces.get(a.pool), this.usable).filter((n) =>
      this.ports.has(n),
    );
  }

  /** Per port: the addresses it answers, and the solicited-node groups of its IPv6 ones. */
  private refreshPorts(): void {
    for (const [name, op] of this.ports) {
      const mine = [...this.owned.values()].filter((o) => o.ports.includes(name));
      op.answers = new AddressSet(mine.map((o) => o.ip));
      const groups = new Map<string, Uint8Array>();
      for (const o of mine) {
        if (o.ip.family !== 6) continue;
        const mac = ipv6MulticastMac(solicitedNodeAddress(o.ip));
        groups.set(String(mac), mac.toBytes());
      }
      for (const [k, mac] of op.groups)
        if (!groups.has(k)) this.guard(name, () => op.socket.dropMembership(mac));
      for (const [k, mac] of groups)
        if (!op.groups.has(k)) this.guard(name, () => op.socket.addMembership(mac));
      op.groups = groups;
    }
  }

  // ---------- timers ----------

  private arm(): void {
    if (this.stopped || this.timer !== undefined) return;
    this.timer = this.clock.setTimer(this.s.tickMs, () => {
      this.timer = undefined;
      this.tick();
      this.arm();
    });
  }

  /** One tick; public for tests driving a fake clock. */
  tick(): void {
    if (this.stopped) return;
    const now = this.clock.now();
    if (now >= this.nextRescan) {
      const before = [...this.ports.keys()].join();
      const usableBefore = this.usable.map((p) => p.name).join();
      this.rescan(now);
      if ([...this.ports.keys()].join() !== before || this.usable.map((p) => p.name).join() !== usableBefore)
        this.elect(now);
    }
    if (!this.isReady && this.warmupUntil !== undefined && now >= this.warmupUntil) {
      this.isReady = true;
      this.log.info({ alive: [...this.computeAlive(now)] }, "layer 2 ready: taking part in elections");
      // Tell the peers first, so they yield before our gratuitous ARP reaches them (else they
      // would take it for a conflict and answer it).
      this.sendHeartbeats(now);
      this.elect(now);
    }
    if (this.ports.size > 0 && now >= this.nextHeartbeat) this.sendHeartbeats(now);
    const alive = this.computeAlive(now);
    if ([...alive].sort().join(",") !== this.aliveKey) this.elect(now);
    else this.announce(now);
  }

  private sendHeartbeats(now: number): void {
    this.nextHeartbeat = Math.max(this.nextHeartbeat + this.s.intervalMs, now + this.s.intervalMs / 2);
    this.sequence = (this.sequence + 1) >>> 0;
    this.heartbeat(false);
  }

  private heartbeat(leaving: boolean): void {
    for (const [name, op] of this.ports) {
      const frame = heartbeatFrame(op.port.mac, {
        node: this.opts.node,
        incarnation: this.incarnation,
        sequence: this.sequence,
        intervalMs: this.s.intervalMs,
        holdMs: this.s.holdMs,
        ready: this.isReady && !leaving,
        leaving,
      });
      if (this.guard(name, () => op.socket.send(frame))) this.c.heartbeatsSent++;
    }
  }

  private announce(now: number): void {
    for (const [k, o] of this.owned) {
      const due = roundsDue(o.start, now, o.offsets);
      if (due <= o.sent) continue;
      o.sent = due;
      this.sendRound(k, o);
    }
  }

  private sendRound(k: string, o: Owned): void {
    const counts = this.countsOf(k);
    for (const name of o.ports) {
      const op = this.ports.get(name);
      if (op === undefined) continue;
      const frames =
        o.ip.family === 4
          ? gratuitousArpFrames(op.port.mac, o.ip)
          : [unsolicitedAdvertisementFrame(op.port.mac, o.ip, o.ip)];
      for (const f of frames) {
        if (this.guard(name, () => op.socket.send(f))) {
          counts.gratuitous++;
          this.c.gratuitous++;
        }
      }
    }
  }

  /** The earliest moment something is due (for tests and the fake clock). */
  nextDue(): number | undefined {
    let t: number | undefined = this.nextHeartbeat;
    for (const o of this.owned.values()) {
      const n = nextRoundAt(o.start, o.sent, o.offsets);
      if (n !== undefined && (t === undefined || n < t)) t = n;
    }
    return t;
  }

  // ---------- receiving ----------

  private onFrame(op: OpenPort, frame: Uint8Array): void {
    if (this.stopped) return;
    const now = this.clock.now();
    this.c.framesReceived++;
    const etherType = frame.length >= 14 ? (frame[12]! << 8) | frame[13]! : -1;
    if (etherType === HEARTBEAT_ETHERTYPE) {
      const eth = decodeEthernet(frame);
      const hb = eth.ok && eth.value.vlan === undefined ? decodeHeartbeat(eth.value.payload) : undefined;
      if (hb === undefined || !hb.ok) {
        this.c.heartbeatsMalformed++;
        return;
      }
      this.c.heartbeatsReceived++;
      if (hb.value.node === this.opts.node) {
        if (this.c.heartbeatsWithOurName++ % 100 === 0)
          this.log.warn({ interface: op.port.name }, "another host sends heartbeats with our node name");
        return;
      }
      if (this.members.heard(hb.value, op.port.name, now)) this.elect(now);
      return;
    }
    const d = respond(frame, { mac: op.port.mac, addresses: op.answers });
    if (d.action === "send") {
      const counts = this.countsOf(keyOf(d.address));
      for (const f of d.frames) {
        if (this.guard(op.port.name, () => op.socket.send(f))) {
          counts.replies++;
          this.c.replies++;
        }
      }
      return;
    }
    this.ignored[d.reason] = (this.ignored[d.reason] ?? 0) + 1;
    if (d.reason === "conflict" && d.address !== undefined) {
      const k = keyOf(d.address);
      this.countsOf(k).conflicts++;
      const o = this.owned.get(k);
      // Someone else claims an address we hold: answer once, at most every conflictRepeatMs.
      if (o !== undefined && now - o.lastConflictRound >= this.s.conflictRepeatMs) {
        o.lastConflictRound = now;
        this.log.warn(
          { ip: k, mac: String(d.mac), interface: op.port.name },
          "another MAC claims our address",
        );
        this.sendRound(k, o);
      }
    }
  }

  private countsOf(k: string): Counts {
    let c = this.counts.get(k);
    if (c === undefined) {
      c = { replies: 0, gratuitous: 0, conflicts: 0 };
      this.counts.set(k, c);
    }
    return c;
  }

  /** Runs a socket call; a failure is counted and logged, never thrown. */
  private guard(name: string, fn: () => void): boolean {
    try {
      fn();
      return true;
    } catch (e) {
      this.c.sendErrors++;
      if (e instanceof InterfaceDownError) this.nextRescan = 0;
      if (this.c.sendErrors % 100 === 1)
        this.log.warn({ interface: name, err: e }, "packet socket call failed");
      return false;
    }
  }

  // ---------- stop and status ----------

  /** Tells the peers we are leaving (they take over at once), then closes every socket. */
  stop(): void {
    if (this.stopped) return;
    if (this.ports.size > 0) {
      this.sequence = (this.sequence + 1) >>> 0;
      this.heartbeat(true);
    }
    this.stopped = true;
    if (this.timer !== undefined) this.clock.clearTimer(this.timer);
    this.timer = undefined;
    for (const [name, op] of this.ports) this.close(name, op);
    this.owned.clear();
  }

  status(): L2Status {
    const now = this.clock.now();
    const addresses: L2AddressStatus[] = this.plan.eligible.map((a) => {
      const k = keyOf(a.ip);
      const w = this.decided.get(k);
      const o = this.owned.get(k);
      const c = this.counts.get(k) ?? { replies: 0, gratuitous: 0, conflicts: 0 };
      const ifs = interfacesFor(a.ip, this.plan.poolInterfaces.get(a.pool), this.usable);
      const reason: NotAnsweringReason | undefined =
        o !== undefined
          ? undefined
          : this.error !== undefined && this.ports.size === 0
            ? "unavailable"
            : ifs.length === 0 || this.portsFor(a).length === 0
              ? "noInterface"
              : !this.isReady
                ? "warmingUp"
                : w?.winner === undefined
                  ? "noLiveNode"
                  : "notElected";
      return {
        ip: k,
        pool: a.pool,
        services: a.services,
        interfaces: o?.ports ?? ifs,
        answering: o !== undefined,
        ...(reason === undefined ? {} : { reason }),
        ...(w?.winner !== undefined && w.winner !== this.opts.node ? { winner: w.winner } : {}),
        ...(w?.home !== undefined ? { home: w.home } : {}),
        orphan: w?.orphan ?? false,
        ...(o !== undefined ? { since: new Date(o.since).toISOString() } : {}),
        ...c,
      };
    });
    return {
      ready: this.isReady,
      ...(this.error !== undefined ? { error: this.error } : {}),
      ...(this.warnings.length > 0 ? { warnings: this.warnings } : {}),
      incarnation: this.incarnation,
      settings: { intervalMs: this.s.intervalMs, holdMs: this.s.holdMs },
      interfaces: [
        ...this.usable.map((p) => ({ name: p.name, mac: String(p.mac), open: this.ports.has(p.name) })),
        ...this.skipped.map((x) => ({ name: x.name, open: false, skipped: x.reason })),
      ],
      members: this.members.views(now, this.arbiter),
      addresses,
      counters: { ...this.c, ignored: { ...this.ignored } },
    };
  }
}
