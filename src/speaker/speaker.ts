/**
 * The speaker: turns what the cluster source says into BGP sessions and routes.
 *
 *   snapshot ─ parse config (keep the last good one) ─ plan() ─ sessions: create, reconfigure,
 *   remove ─ setRoutes() on each
 *
 * Everything it decides comes from pure functions (parseConfig, plan); this class holds the
 * sessions and the last good config, and reports what it did in `status()`.
 */
import { createHash } from "node:crypto";
import type { Socket } from "node:net";
import { CeaseSubcode, linkBandwidth } from "../../protocol/bgp/index.ts";
import { IpAddress } from "../../protocol/ip/index.ts";
import type { ClusterSnapshot } from "../cluster/index.ts";
import type { Config } from "../config/index.ts";
import { ConfigKeeper, type ConfigState } from "../config/keeper.ts";
import type { Peer } from "../config/types.ts";
import type { Logger } from "../observe/logger.ts";
import { analyzeBalance, type BalanceReport, type ServiceBalance } from "./balance/index.ts";
import {
  BgpListener,
  BgpSession,
  type Clock,
  type Random,
  type Route,
  type RouteAttributes,
  route,
  routeAttributes,
  type SessionConfig,
  type SessionStatus,
  systemClock,
} from "./bgp/index.ts";
import type { L2Runtime } from "./l2/runtime.ts";
import { type L2Status, layer2Plan, newL2Runtime, type SpeakerL2Options } from "./l2/speaker-glue.ts";
import { type Desired, type Route as PlannedRoute, plan } from "./plan.ts";

export interface SpeakerOptions {
  readonly node: string;
  readonly logger: Logger;
  /** Where the passive listener binds; undefined: no listener (active sessions only). */
  readonly listen?: { readonly host: string; readonly port: number };
  /** Used when a peer has no router-id: defaults to the host's first global IPv4. */
  readonly hostIpv4?: () => IpAddress[];
  readonly clock?: Clock;
  readonly random?: Random;
  /** For tests: how sessions connect. */
  readonly connect?: (c: SessionConfig) => Socket;
  /**
   * Layer 2 (ARP/NDP, src/speaker/l2): started when the config has layer2 pools. Default: the
   * real packet sockets and interfaces, heartbeats alone (no API arbiter); `false` disables it.
   */
  readonly l2?: SpeakerL2Options | false;
}

export type { ConfigState };

interface PeerEntry {
  readonly session: BgpSession;
  /** Everything that needs a new session when it changes. */
  readonly fingerprint: string;
  readonly peer: Peer;
}

export class Speaker {
  private readonly opts: SpeakerOptions;
  private readonly log: Logger;
  private l2: L2Runtime | undefined;
  /** The last good config (DESIGN.md: an invalid ConfigMap keeps it running and says why). */
  private readonly keeper = new ConfigKeeper();
  private desired: Desired | undefined;
  private balance: BalanceReport | undefined;
  /** Warning text last logged per Service, so a standing imbalance is logged once. */
  private readonly balanceWarned = new Map<string, string>();
  /** The snapshot the next balance analysis reads; set while one is scheduled. */
  private balanceSnapshot: ClusterSnapshot | undefined;
  private balanceTimer: unknown;
  private balanceAt = Number.NEGATIVE_INFINITY;
  private readonly peers = new Map<string, PeerEntry>();
  private listener: BgpListener | undefined;
  private listenError: string | undefined;
  /** TCP MD5 key problems of the listener, as last logged. */
  private keyProblems = "";
  private applied = false;

  constructor(opts: SpeakerOptions) {
    this.opts = opts;
    this.log = opts.logger;
  }

  async start(): Promise<void> {
    if (this.opts.listen === undefined) return;
    const l = new BgpListener({
      lookup: (remote) => [...this.peers.values()].find((p) => p.peer.peerAddress.equals(remote))?.session,
      onReject: (remote) => this.log.warn({ remote }, "BGP connection from an unconfigured address closed"),
    });
    try {
      const { host, port } = this.opts.listen;
      try {
        await l.listen(port, host);
      } catch (e) {
        // `::` also takes IPv4 connections; on a host without IPv6 fall back to IPv4 only.
        if (host !== "::" || (e as NodeJS.ErrnoException).code !== "EAFNOSUPPORT") throw e;
        await l.listen(port, "0.0.0.0");
      }
      this.listener = l;
      // Peers configured before the listener came up get their TCP MD5 keys now.
      l.setPeers([...this.peers.values()].map((e) => e.session.config));
      this.log.info({ listen: this.opts.listen }, "BGP listener up");
    } catch (e) {
      // Without a listener, active sessions still work; passive ones say why in status.
      this.listenError = (e as Error).message;
      this.log.warn(
        { listen: this.opts.listen, error: this.listenError },
        "BGP listener failed: active sessions only",
      );
    }
  }

  /** Applies a new cluster snapshot: config, then plan, then sessions and routes. */
  update(snapshot: ClusterSnapshot): void {
    this.loadConfig(snapshot);
    if (this.config === undefined) return;
    const desired = plan(this.config, snapshot, this.opts.node);
    if (this.opts.l2 !== false && (this.l2 !== undefined || desired.l2Cluster.length > 0)) {
      this.l2 ??= newL2Runtime(this.opts.node, this.log, this.opts.l2 ?? {}, this.opts.clock);
      this.l2.apply(layer2Plan(this.config, desired));
    }
    this.logAnnouncementChanges(this.desired, desired);
    this.desired = desired;
    this.reconcileSessions(desired);
    this.applied = true;
    this.scheduleBalance(snapshot);
  }

  /** One log line per Service whose verdict on this node changed, with its reason. */
  private logAnnouncementChanges(before: Desired | undefined, after: Desired): void {
    const was = new Map((before?.services ?? []).map((s) => [s.key, s]));
    for (const s of after.services) {
      const p = was.get(s.key);
      was.delete(s.key);
      if (p !== undefined && p.announced === s.announced && p.reason === s.reason && sameIps(p.ips, s.ips))
        continue;
      const ips = s.ips.map(String);
      if (s.announced) this.log.info({ service: s.key, ips }, `announcing ${s.key} (${ips.join(", ")})`);
      else if (p?.announced || p === undefined || p.reason !== s.reason)
        this.log.info({ service: s.key, ips, reason: s.reason }, `not announcing ${s.key}: ${s.reason}`);
    }
    for (const [key, p] of was)
      if (p.announced)
        this.log.info({ service: key, reason: "deleted" }, `withdrawing ${key}: the Service is gone`);
  }

  /**
   * Rack balance (issue #8) looks at every node and Service (~0.2 s for 100 nodes and 5 000
   * Services), so it runs at once the first time, then at most every BALANCE_INTERVAL_MS on
   * the latest snapshot: endpoint churn does not cost that on every update.
   */
  private scheduleBalance(snapshot: ClusterSnapshot): void {
    this.balanceSnapshot = snapshot;
    if (this.balanceTimer !== undefined) return;
    const clock = this.opts.clock ?? systemClock;
    const wait = this.balanceAt + BALANCE_INTERVAL_MS - clock.now();
    if (wait <= 0) {
      this.analyzeBalance();
      return;
    }
    this.balanceTimer = clock.setTimer(wait, () => {
      this.balanceTimer = undefined;
      this.analyzeBalance();
    });
  }

  /** The report for status and metrics; a warning logged once per change. */
  private analyzeBalance(): void {
    const snapshot = this.balanceSnapshot;
    this.balanceSnapshot = undefined;
    if (this.config === undefined || snapshot === undefined) return;
    this.balanceAt = (this.opts.clock ?? systemClock).now();
    const report = analyzeBalance(this.config, snapshot);
    this.balance = report;
    const now = new Map(
      report.services.flatMap((s) => (s.warning === undefined ? [] : [[s.service, s.warning]])),
    );
    for (const [service, warning] of now)
      if (this.balanceWarned.get(service) !== warning) this.log.warn({ service, balance: "uneven" }, warning);
    for (const service of this.balanceWarned.keys())
      if (!now.has(service))
        this.log.info(
          { service, balance: "even" },
          `ECMP split of Service ${service} is within the threshold again`,
        );
    this.balanceWarned.clear();
    for (const [k, v] of now) this.balanceWarned.set(k, v);
  }

  private get config(): Config | undefined {
    return this.keeper.config;
  }

  private loadConfig(snapshot: ClusterSnapshot): void {
    const change = this.keeper.update(snapshot.configMap);
    const st = this.keeper.state;
    if (change === "loaded" && st.state === "valid") {
      const c = this.keeper.config!;
      this.log.info(
        { origin: st.origin, peers: c.peers.length, pools: c.addressPools.length, warnings: st.warnings },
        "config loaded",
      );
    } else if (change === "rejected" && st.state === "invalid") {
      this.log.error({ origin: st.origin, errors: st.errors, running: st.running }, "config rejected");
    }
  }

  private reconcileSessions(desired: Desired): void {
    const wanted = new Set<string>();
    for (const pr of desired.bgp) {
      wanted.add(pr.key);
      const cfg = this.sessionConfig(pr.peer);
      const fingerprint = JSON.stringify({ ...cfg, password: secretDigest(pr.peer) });
      let entry = this.peers.get(pr.key);
      if (entry !== undefined && entry.fingerprint !== fingerprint) {
        this.log.info({ peer: pr.key }, "peer settings changed: restarting its session");
        // RFC 4486 §4: Cease / Other Configuration Change.
        void entry.session.stop({ mode: "notify", subcode: CeaseSubcode.OtherConfigurationChange });
        this.peers.delete(pr.key);
        entry = undefined;
      }
      if (entry === undefined) {
        const session = this.newSession(pr.key, cfg);
        entry = { session, fingerprint, peer: pr.peer };
        this.peers.set(pr.key, entry);
        session.start();
      }
      entry.session.setRoutes(
        toSessionRoutes(pr.routes, pr.peer.myAsn, this.config?.rackBalance.linkBandwidthTransitive ?? true),
      );
    }
    for (const [key, entry] of this.peers) {
      if (wanted.has(key)) continue;
      // RFC 4486: Cease / Peer De-configured.
      this.log.info({ peer: key }, "peer no longer configured for this node: closing its session");
      void entry.session.stop({ mode: "notify", subcode: CeaseSubcode.PeerDeconfigured });
      this.peers.delete(key);
    }
    // RFC 2385: the listener holds each password peer's key before that peer connects.
    const keyProblems = this.listener?.setPeers([...this.peers.values()].map((e) => e.session.config)) ?? [];
    if (keyProblems.join("\n") !== this.keyProblems) {
      this.keyProblems = keyProblems.join("\n");
      for (const problem of keyProblems) this.log.warn(problem);
    }
  }

  private newSession(key: string, cfg: SessionConfig): BgpSession {
    const log = this.log.child({ peer: key });
    return new BgpSession(cfg, {
      ...(this.opts.clock ? { clock: this.opts.clock } : {}),
      ...(this.opts.random ? { random: this.opts.random } : {}),
      ...(this.opts.connect ? { connect: this.opts.connect } : {}),
      onEvent: (e) => {
        switch (e.type) {
          case "state":
            log.info({ from: e.from, to: e.to, reason: e.reason?.text }, `session ${e.from} → ${e.to}`);
            break;
          case "established":
            log.info(
              { holdTime: e.negotiated.holdTime, fourOctetAs: e.negotiated.fourOctetAs },
              "session established",
            );
            break;
          case "down":
            log.warn(
              { reason: e.reason.text, code: e.reason.code, subcode: e.reason.subcode },
              "session down",
            );
            break;
          case "notificationReceived":
          case "notificationSent":
            log.warn(
              { code: e.code, subcode: e.subcode, text: e.text },
              e.type === "notificationSent" ? "NOTIFICATION sent" : "NOTIFICATION received",
            );
            break;
          case "updateProblem":
            log.warn({ action: e.action, reason: e.reason }, "malformed UPDATE handled per RFC 7606");
            break;
          case "connectionRejected":
            log.info({ reason: e.reason }, "incoming connection rejected");
            break;
        }
      },
    });
  }

  private sessionConfig(p: Peer): SessionConfig {
    return {
      peerAddress: p.peerAddress,
      peerPort: p.peerPort,
      peerAs: p.peerAsn,
      localAs: p.myAsn,
      routerId: p.routerId ?? this.routerId(p),
      ...(p.sourceAddress ? { sourceAddress: p.sourceAddress } : {}),
      holdTime: p.holdTime,
      ...(p.keepaliveTime !== p.holdTime / 3 ? { keepaliveTime: Math.floor(p.keepaliveTime) } : {}),
      connectRetryTime: 5,
      passive: p.passive,
      ...(p.gracefulRestart
        ? { gracefulRestart: { restartTime: p.gracefulRestartTime, restarting: true } }
        : {}),
      maxPrefixes: 10_000,
      extendedMessage: true,
      ...(p.nextHopV4 ? { nextHopV4: p.nextHopV4 } : {}),
      ...(p.nextHopV6 ? { nextHopV6: p.nextHopV6 } : {}),
      // TCP MD5 (RFC 2385) and GTSM (RFC 5082): the session opens such sockets natively.
      ...(p.password ? { password: p.password } : {}),
      ...(p.ttlSecurity ? { ttlSecurity: true } : {}),
    };
  }

  /**
   * The BGP Identifier when the peer has no router-id (MetalLB's order): the source address
   * if it is IPv4, the host's first global IPv4, else a hash of the node name (IPv6-only
   * nodes; RFC 6286 §2.1 only asks for a non-zero 32-bit value).
   */
  private routerId(p: Peer): IpAddress {
    if (p.sourceAddress?.family === 4) return p.sourceAddress;
    const host = (this.opts.hostIpv4 ?? (() => []))()[0];
    if (host !== undefined) return host;
    const h = createHash("sha256").update(this.opts.node).digest();
    return new IpAddress(4, h.readUInt32BE(0) || 1);
  }

  /**
   * The latest rack balance report, whole (status() lists per-node shares only for warned or
   * weighted Services): for `balanceEvents(told, report, node)`.
   */
  balanceReport(): BalanceReport | undefined {
    return this.balance;
  }

  ready(): boolean {
    return this.applied;
  }

  status(): SpeakerStatus {
    return {
      node: this.opts.node,
      config: this.keeper.state,
      listener: this.listener
        ? { address: `${this.opts.listen!.host}:${this.opts.listen!.port}`, up: true }
        : this.opts.listen
          ? {
              address: `${this.opts.listen.host}:${this.opts.listen.port}`,
              up: false,
              error: this.listenError ?? "not started",
            }
          : undefined,
      peers: [...this.peers.entries()].map(([key, e]) => ({ key, ...e.session.status() })),
      layer2: this.l2?.status(),
      services: (this.desired?.services ?? []).map((s) => ({
        service: s.key,
        ips: s.ips.map(String),
        announced: s.announced,
        reason: s.reason,
        addresses: s.addresses.map((a) => ({
          ip: String(a.ip),
          pool: a.pool,
          protocol: a.protocol,
          announced: a.announced,
          reason: a.reason,
        })),
      })),
      balance:
        this.balance === undefined
          ? undefined
          : {
              rackLabel: this.balance.settings.rackLabel,
              racksFrom: this.balance.settings.racksFrom,
              threshold: this.balance.settings.imbalanceThreshold,
              notes: this.balance.notes,
              // Per-node shares only where someone looks at nodes: warned or weighted Services
              // (a Cluster Service on 100 nodes would otherwise list 100 entries).
              services: this.balance.services.map((s) =>
                s.warning !== undefined || s.linkBandwidth ? s : { ...s, nodes: undefined },
              ),
            },
    };
  }

  /**
   * Stops every session. "graceful" keeps routes at peers that negotiated graceful restart
   * (the speaker is restarting); "notify" sends Cease with `text` to all (it is going away).
   */
  async stop(mode: "graceful" | "notify", text = "signalbox speaker stopping"): Promise<void> {
    if (this.balanceTimer !== undefined) (this.opts.clock ?? systemClock).clearTimer(this.balanceTimer);
    this.balanceTimer = undefined;
    this.l2?.stop(); // a leaving heartbeat first: the peers take our addresses over at once
    await Promise.all([...this.peers.values()].map((p) => p.session.stop({ mode, text, timeoutMs: 2000 })));
    await this.listener?.close();
  }
}

/** At most one rack balance analysis per this many milliseconds (scheduleBalance). */
export const BALANCE_INTERVAL_MS = 5000;

export interface SpeakerStatus {
  readonly node: string;
  readonly config: ConfigState;
  readonly listener: { readonly address: string; readonly up: boolean; readonly error?: string } | undefined;
  readonly peers: readonly (SessionStatus & { readonly key: string })[];
  readonly services: readonly unknown[];
  /** Layer 2: interfaces, peers heard, and per address whether this node answers and why not. */
  readonly layer2?: L2Status | undefined;
  /** Rack balance analysis (balance/analyze.ts), once a config and snapshot were applied. */
  readonly balance?:
    | {
        readonly rackLabel: string;
        readonly racksFrom: string;
        readonly threshold: number;
        readonly notes: readonly string[];
        readonly services: readonly (Omit<ServiceBalance, "nodes"> & {
          readonly nodes: ServiceBalance["nodes"] | undefined;
        })[];
      }
    | undefined;
}

/** A digest that changes when the password changes, without holding it (never logged). */
function secretDigest(p: Peer): string | undefined {
  return p.password === undefined
    ? undefined
    : createHash("sha256").update(p.password.reveal()).digest("hex").slice(0, 16);
}

/**
 * Plan routes → session routes; routes with equal attributes share one attributes object. A
 * planned link bandwidth becomes the Link Bandwidth extended community (RFC 10005 §2) with
 * our AS (`myAsn`) as its Global Administrator, transitive unless the config says otherwise.
 */
function toSessionRoutes(routes: readonly PlannedRoute[], myAsn: number, transitive: boolean): Route[] {
  const interned = new Map<string, RouteAttributes>();
  return routes.map((r) => {
    const communities: number[] = [];
    const large = [];
    for (const c of r.communities) {
      if (c.kind === "standard") communities.push(c.value);
      else large.push({ globalAdmin: c.global, localData1: c.local1, localData2: c.local2 });
    }
    // MetalLB's legacy localpref 0 means "not set": send the conventional default (100).
    const a = routeAttributes({
      communities,
      largeCommunities: large,
      ...(r.linkBandwidth !== undefined
        ? { extendedCommunities: [linkBandwidth(myAsn, r.linkBandwidth, transitive)] }
        : {}),
      ...(r.localPref > 0 ? { localPref: r.localPref } : {}),
    });
    let attrs = interned.get(a.key);
    if (attrs === undefined) {
      attrs = a;
      interned.set(a.key, a);
    }
    return route(r.prefix, attrs);
  });
}

function sameIps(a: readonly IpAddress[], b: readonly IpAddress[]): boolean {
  return a.length === b.length && a.every((x, i) => x.equals(b[i]!));
}
