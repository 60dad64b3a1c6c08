// What every router driver accepts and returns, so a test can swap BIRD for FRR, GoBGP or
// ExaBGP by changing one import.

import type { Daemon, Lab } from "../netns.ts";

export type Family = "ipv4" | "ipv6";

export interface NeighborOptions {
  /** The peer's address (IPv4 or IPv6). */
  address: string;
  peerAs: number;
  /** Our source address for this session (default: chosen by the kernel / the router). */
  localAddress?: string;
  /** Only accept connections, never connect (default false). */
  passive?: boolean;
  /** The peer's TCP port to connect to (default 179). */
  port?: number;
  /** Hold time in seconds (default 9; keepalive is a third of it). */
  holdTime?: number;
  /** Seconds between connection attempts (default 1). */
  connectRetry?: number;
  /** eBGP multihop with this TTL (default: directly connected). */
  multihop?: number;
  /** TCP MD5 signature (RFC 2385). */
  password?: string;
  /** Graceful restart (RFC 4724): false = off, true = on with restartTime 30 s. Default: off. */
  gracefulRestart?: boolean;
  restartTime?: number;
  /** Families on this session (default: the family of `address`). */
  families?: Family[];
  description?: string;
}

/** A route the router itself originates. */
export interface OriginateRoute {
  prefix: string;
  /** Next hop to send; default: the router's own address on the session ("self"). */
  nextHop?: string;
  communities?: string[];
  largeCommunities?: string[];
  med?: number;
  localPref?: number;
}

export interface RouterOptions {
  asn: number;
  routerId: string;
  neighbors: NeighborOptions[];
  /** TCP port the router listens on (default 179); 0 = do not listen where supported. */
  listenPort?: number;
  /**
   * ECMP: install up to this many equal paths (true = 8). FRR: `maximum-paths` +
   * `bestpath as-path multipath-relax`; BIRD: `merge paths` on the kernel protocol; GoBGP:
   * `use-multiple-paths` (RIB only, gobgpd does not program the kernel).
   */
  multipath?: boolean | number;
  /** Program the namespace's kernel table with received routes (FRR and BIRD; default true). */
  kernel?: boolean;
  /** Routes originated from the start. */
  routes?: OriginateRoute[];
  /** Re-advertise routes learned from one peer to others (default false: originate only). */
  transit?: boolean;
}

export interface SessionState {
  /** "Established", or the router's own word for any other state ("Active", "Connect", …). */
  state: string;
  established: boolean;
  /** Seconds the session has been up, when the router says. */
  uptimeSeconds?: number;
}

/** One path to a prefix as the router holds it (one entry per path, best or not). */
export interface ReceivedRoute {
  prefix: string;
  nextHops: string[];
  asPath: number[];
  origin: "IGP" | "EGP" | "incomplete" | string;
  med?: number;
  localPref?: number;
  /** "65000:100" */
  communities: string[];
  /** "65000:1:2" */
  largeCommunities: string[];
  /** As the router prints them (e.g. FRR "RT:65000:1", BIRD "(rt, 65000, 1)"). */
  extendedCommunities: string[];
  /** The peer this path came from, when known. */
  peer?: string;
  best?: boolean;
  /** Kept by graceful restart while the peer is away (FRR and GoBGP report it). */
  stale?: boolean;
}

export interface KernelNextHop {
  gateway?: string;
  dev?: string;
  weight?: number;
}

export interface KernelRoute {
  prefix: string;
  protocol?: string;
  nextHops: KernelNextHop[];
}

export interface Router {
  readonly kind: "bird" | "frr" | "gobgp" | "exabgp";
  readonly lab: Lab;
  readonly ns: string;
  readonly options: RouterOptions;
  /** The router's main process (bgpd for FRR). */
  readonly daemon: Daemon | undefined;
  sessionState(neighbor: string): Promise<SessionState>;
  /** Waits until the session with `neighbor` is Established (default 20 s). */
  waitEstablished(neighbor: string, timeoutMs?: number): Promise<SessionState>;
  receivedRoutes(family?: Family): Promise<ReceivedRoute[]>;
  /** Waits until at least one path to `prefix` is received and `until` (if given) holds for it. */
  waitRoute(
    prefix: string,
    options?: { timeoutMs?: number; until?: (paths: ReceivedRoute[]) => boolean },
  ): Promise<ReceivedRoute[]>;
  waitNoRoute(prefix: string, timeoutMs?: number): Promise<void>;
  kernelRoutes(prefix: string): Promise<KernelNextHop[]>;
  announce(route: OriginateRoute): Promise<void>;
  withdraw(prefix: string): Promise<void>;
  /** Orderly stop (SIGTERM, bounded, then SIGKILL). */
  stop(): Promise<void>;
  /** stop() then start again with the same options. */
  restart(): Promise<void>;
  /** SIGKILL: a crash, as graceful-restart tests need. */
  kill(): Promise<void>;
  /** SIGSTOP / SIGCONT: the peer goes silent but keeps its TCP sessions (hold-timer tests). */
  pause(): void;
  resume(): void;
  /** Last lines of the router's log, for failure messages. */
  logTail(lines?: number): string;
}

export function familyOf(addressOrPrefix: string): Family {
  return addressOrPrefix.includes(":") ? "ipv6" : "ipv4";
}

export function neighborFamilies(n: NeighborOptions): Family[] {
  return n.families ?? [familyOf(n.address)];
}

export function holdTimeOf(n: NeighborOptions): number {
  return n.holdTime ?? 9;
}

export function keepaliveOf(n: NeighborOptions): number {
  return Math.max(1, Math.floor(holdTimeOf(n) / 3));
}

export function multipathCount(options: RouterOptions): number {
  const m = options.multipath;
  if (m === undefined || m === false) return 1;
  if (m === true) return 8;
  return m;
}

/** Canonical prefix text: "10.0.0.1" → "10.0.0.1/32", lower-case IPv6. */
export function normalizePrefix(prefix: string): string {
  const p = prefix.trim().toLowerCase();
  if (p.includes("/")) return p;
  return `${p}/${p.includes(":") ? 128 : 32}`;
}

/** Parses an AS path string ("65001 65002 {65003,65004}") into numbers (sets flattened). */
export function parseAsPathText(text: string): number[] {
  return (text.match(/\d+/g) ?? []).map(Number);
}

export function communityFromNumber(n: number): string {
  return `${Math.floor(n / 65536)}:${n % 65536}`;
}

/** "65001:5" → the 32-bit value, or undefined for words like "no-export". */
export function communityToNumber(c: string): number | undefined {
  const m = /^(\d+):(\d+)$/.exec(c);
  if (!m) return undefined;
  return Number(m[1]) * 65536 + Number(m[2]);
}
