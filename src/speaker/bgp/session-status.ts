import { Afi, type DownReason } from "../../../protocol/bgp/index.ts";
import type { IpAddress } from "../../../protocol/ip/index.ts";
import type { Route } from "./route.ts";

/** Messages of each type, sent or received. */
export interface MessageCounters {
  open: number;
  update: number;
  notification: number;
  keepalive: number;
  routeRefresh: number;
}

export interface SessionStatus {
  readonly peerAddress: string;
  readonly peerPort: number;
  readonly localAs: number;
  readonly peerAs: number;
  readonly routerId: string;
  readonly state: string;
  readonly establishedSince?: string;
  readonly uptimeSeconds?: number;
  readonly holdTime?: number;
  readonly keepaliveTime?: number;
  readonly capabilities?: {
    readonly fourOctetAs: boolean;
    readonly extendedMessage: boolean;
    readonly routeRefresh: boolean;
    readonly enhancedRouteRefresh: boolean;
    readonly families: readonly string[];
    readonly peerGracefulRestart?: { readonly restartTime: number; readonly restarting: boolean };
  };
  readonly prefixes: {
    readonly advertised: { ipv4: number; ipv6: number };
    readonly received: number;
    readonly desired: number;
  };
  readonly messages: { readonly sent: MessageCounters; readonly received: MessageCounters };
  /** NOTIFICATIONs by `code/subcode` (RFC 4271 §4.5), e.g. `{"6/2": 1}` for Cease/Administrative Shutdown. */
  readonly notifications: {
    readonly sent: Readonly<Record<string, number>>;
    readonly received: Readonly<Record<string, number>>;
  };
  readonly flaps: number;
  /** The TCP connection in use, and which side opened it. */
  readonly connection?: {
    readonly local: string;
    readonly remote: string;
    readonly initiatedBy: "us" | "peer";
  };
  /** What protects the TCP connection, and why it may not come up (never the password). */
  readonly transport: {
    readonly md5: boolean;
    readonly ttlSecurity: boolean;
    readonly device?: string;
    readonly problem?: string;
  };
  readonly lastError?: DownReason & { readonly at: string; readonly description?: string };
  /** Routes that could not be sent on this session, and why (e.g. no IPv6 next hop). */
  readonly unsendable?: { readonly count: number; readonly reason: string };
}

export const counters = (): MessageCounters => ({
  open: 0,
  update: 0,
  notification: 0,
  keepalive: 0,
  routeRefresh: 0,
});

/** What of the desired routes cannot go on this session, and why (for status). */
export function unsendableReport(
  desired: readonly Route[],
  negotiated: (afi: number) => boolean,
  nh4: IpAddress | undefined,
  nh6: IpAddress | undefined,
): { count: number; reason: string } | undefined {
  const reasons: string[] = [];
  let count = 0;
  for (const [family, afi, nh] of [
    [4, Afi.IPV4, nh4],
    [6, Afi.IPV6, nh6],
  ] as const) {
    if (nh !== undefined) continue;
    const n = desired.filter((r) => r.prefix.family === family).length;
    if (n === 0) continue;
    count += n;
    reasons.push(
      negotiated(afi)
        ? `${n} IPv${family} route(s): no IPv${family} next hop on this session (set next-hop-v${family})`
        : `${n} IPv${family} route(s): the peer did not negotiate IPv${family} unicast`,
    );
  }
  return count === 0 ? undefined : { count, reason: reasons.join("; ") };
}
