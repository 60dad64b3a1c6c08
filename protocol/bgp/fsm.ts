/**
 * The BGP finite state machine of RFC 4271 §8, as a pure transition function:
 * `step(fsm, event) → { fsm, actions }`. No clock, no socket, no randomness: timers are
 * started and stopped by actions that the session runtime carries out (applying jitter, RFC
 * 4271 §10), and everything that happens to the connection comes back as an event.
 *
 * One Fsm drives one connection. Connection collisions (RFC 4271 §6.8) are decided by the
 * runtime with `collisionWinner`, and the losing connection's Fsm gets OpenCollisionDump.
 *
 * Optional session attributes (§8.1.1) in use: PassiveTcpEstablishment (config.passive),
 * DampPeerOscillations (exponential IdleHoldTimer back-off, reset only after the session has
 * stayed Established for config.stableTime), SendNOTIFICATIONwithoutOPEN off, DelayOpen off,
 * CollisionDetectEstablishedState off.
 */
import { type BgpError, bgpError } from "./errors.ts";
import type { Message } from "./message.ts";
import { type Negotiated, negotiate, type OpenExpectations, validateOpen } from "./negotiate.ts";
import { cease, type NotificationMessage } from "./notification.ts";
import { CeaseSubcode, ErrorCode, FsmSubcode } from "./notification-codes.ts";
import type { OpenMessage } from "./open.ts";
import type { RouteRefreshMessage } from "./route-refresh.ts";
import type { UpdateMessage } from "./update.ts";

export type State = "Idle" | "Connect" | "Active" | "OpenSent" | "OpenConfirm" | "Established";
export const States: readonly State[] = [
  "Idle",
  "Connect",
  "Active",
  "OpenSent",
  "OpenConfirm",
  "Established",
];

export type Timer = "ConnectRetryTimer" | "HoldTimer" | "KeepaliveTimer" | "IdleHoldTimer" | "StableTimer";

/**
 * Events, named and numbered as RFC 4271 §8.1. Received messages arrive decoded; the runtime
 * turns a decoding failure into the matching *Err event. UpdateSent and RouteRefreshMsg are
 * ours: sending an UPDATE restarts the KeepaliveTimer (§10), and RFC 2918 adds a message.
 */
export type Event =
  | { readonly type: "ManualStart" } // 1
  | { readonly type: "ManualStop"; readonly notification?: NotificationMessage | "none" } // 2
  | { readonly type: "AutomaticStart" } // 3
  | { readonly type: "AutomaticStop"; readonly notification?: NotificationMessage } // 8
  | { readonly type: "ConnectRetryTimer_Expires" } // 9
  | { readonly type: "HoldTimer_Expires" } // 10
  | { readonly type: "KeepaliveTimer_Expires" } // 11
  | { readonly type: "IdleHoldTimer_Expires" } // 13
  | { readonly type: "StableTimer_Expires" }
  | { readonly type: "Tcp_CR_Acked" } // 16: our connection is up
  | { readonly type: "TcpConnectionConfirmed" } // 17: the peer's connection was accepted
  | { readonly type: "TcpConnectionFails" } // 18
  | { readonly type: "BGPOpen"; readonly open: OpenMessage } // 19
  | { readonly type: "BGPHeaderErr"; readonly error: BgpError } // 21
  | { readonly type: "BGPOpenMsgErr"; readonly error: BgpError } // 22
  | { readonly type: "OpenCollisionDump" } // 23
  | { readonly type: "NotifMsgVerErr"; readonly notification: NotificationMessage } // 24
  | { readonly type: "NotifMsg"; readonly notification: NotificationMessage } // 25
  | { readonly type: "KeepAliveMsg" } // 26
  | { readonly type: "UpdateMsg"; readonly update: UpdateMessage } // 27
  | { readonly type: "UpdateMsgErr"; readonly error: BgpError } // 28
  | { readonly type: "RouteRefreshMsg"; readonly request: RouteRefreshMessage }
  | { readonly type: "UpdateSent" };

export type EventType = Event["type"];

/** Why the session last went down, for status and logs. */
export interface DownReason {
  readonly kind: "notification-sent" | "notification-received" | "connection" | "stopped";
  readonly text: string;
  readonly code?: number;
  readonly subcode?: number;
}

export type FsmAction =
  | { readonly type: "connect" }
  | { readonly type: "send"; readonly message: Message }
  | { readonly type: "drop" }
  | { readonly type: "startTimer"; readonly timer: Timer; readonly seconds: number; readonly jitter: boolean }
  | { readonly type: "stopTimer"; readonly timer: Timer }
  | { readonly type: "established"; readonly negotiated: Negotiated }
  | { readonly type: "down"; readonly reason: DownReason; readonly wasEstablished: boolean }
  | { readonly type: "receivedUpdate"; readonly update: UpdateMessage }
  | { readonly type: "routeRefresh"; readonly request: RouteRefreshMessage };

export interface FsmConfig {
  /** The OPEN we send: its hold time is our configured one. */
  readonly open: OpenMessage;
  readonly expect: OpenExpectations;
  /** Never initiate TCP; wait for the peer (PassiveTcpEstablishment). */
  readonly passive: boolean;
  /** ConnectRetryTime in seconds (RFC 4271 §10 suggests 120; Kubernetes wants far less). */
  readonly connectRetryTime: number;
  /** Keepalive interval when configured; otherwise one third of the negotiated hold time. */
  readonly keepaliveTime?: number;
  /** RFC 4271 §8.2.2: the "large value" for the HoldTimer in OpenSent (4 minutes suggested). */
  readonly openHoldTime: number;
  /** IdleHoldTimer back-off: first wait and cap, in seconds; doubles on each failure. */
  readonly idleHoldTime: number;
  readonly maxIdleHoldTime: number;
  /** Seconds Established before the back-off resets (MetalLB #1114 reset it too early). */
  readonly stableTime: number;
  /** Restart automatically after a failure (AutomaticStart after the IdleHoldTimer). */
  readonly autoRestart: boolean;
}

export interface Fsm {
  readonly state: State;
  readonly config: FsmConfig;
  /** RFC 4271 §8: counts consecutive failures; drives the back-off here. */
  readonly connectRetryCounter: number;
  readonly negotiated?: Negotiated;
  readonly lastDown?: DownReason;
  /** Set by ManualStop; cleared by ManualStart. An administratively stopped session stays Idle. */
  readonly stopped: boolean;
}

export interface Step {
  readonly fsm: Fsm;
  readonly actions: readonly FsmAction[];
}

export function newFsm(config: FsmConfig): Fsm {
  return { state: "Idle", config, connectRetryCounter: 0, stopped: true };
}

const start = (timer: Timer, seconds: number, jitter = false): FsmAction => ({
  type: "startTimer",
  timer,
  seconds,
  jitter,
});
const stop = (timer: Timer): FsmAction => ({ type: "stopTimer", timer });
const send = (message: Message): FsmAction => ({ type: "send", message });
const KEEPALIVE: Message = { type: "KEEPALIVE" };

function notification(e: BgpError): NotificationMessage {
  return { type: "NOTIFICATION", code: e.code, subcode: e.subcode, data: e.data };
}

function describe(n: NotificationMessage): string {
  return `${n.code}/${n.subcode}`;
}

/** Keepalive interval for a negotiated hold time: configured, or a third (RFC 4271 §10), at least 1 s. */
export function keepaliveInterval(config: FsmConfig, holdTime: number): number {
  if (holdTime === 0) return 0;
  const k = config.keepaliveTime ?? Math.floor(holdTime / 3);
  return Math.max(1, Math.min(k, Math.floor(holdTime / 3) || 1));
}

/** The next IdleHoldTimer value for a failure count: idleHoldTime · 2^(n-1), capped. */
export function idleHoldFor(config: FsmConfig, failures: number): number {
  const exp = Math.min(Math.max(failures - 1, 0), 16);
  return Math.min(config.idleHoldTime * 2 ** exp, config.maxIdleHoldTime);
}

/**
 * Leaves for Idle after a failure or a stop (the common tail of most §8.2.2 transitions):
 * stop every timer, drop the connection, release resources, and, when the session is meant
 * to keep running, arm the IdleHoldTimer for an automatic restart.
 */
function toIdle(
  fsm: Fsm,
  reason: DownReason,
  opts: { counter: "reset" | "increment" | "keep"; first?: FsmAction[] },
): Step {
  const counter =
    opts.counter === "reset"
      ? 0
      : opts.counter === "increment"
        ? fsm.connectRetryCounter + 1
        : fsm.connectRetryCounter;
  const actions: FsmAction[] = [...(opts.first ?? [])];
  actions.push(
    stop("ConnectRetryTimer"),
    stop("HoldTimer"),
    stop("KeepaliveTimer"),
    stop("StableTimer"),
    { type: "drop" },
    { type: "down", reason, wasEstablished: fsm.state === "Established" },
  );
  const stopped = fsm.stopped || reason.kind === "stopped";
  if (!stopped && fsm.config.autoRestart) {
    // DampPeerOscillations (§8.1.1): wait longer after each consecutive failure.
    actions.push(start("IdleHoldTimer", idleHoldFor(fsm.config, Math.max(counter, 1)), true));
  }
  const { negotiated: _, ...rest } = fsm;
  return {
    fsm: { ...rest, state: "Idle", connectRetryCounter: counter, lastDown: reason, stopped },
    actions,
  };
}

/** Starts a session attempt from Idle: connect (Connect) or wait for the peer (Active). */
function begin(fsm: Fsm): Step {
  const actions: FsmAction[] = [
    stop("IdleHoldTimer"),
    start("ConnectRetryTimer", fsm.config.connectRetryTime, true),
  ];
  if (fsm.config.passive) return { fsm: { ...fsm, state: "Active", stopped: false }, actions };
  actions.push({ type: "connect" });
  return { fsm: { ...fsm, state: "Connect", stopped: false }, actions };
}

/** TCP is up (either direction): send OPEN, HoldTimer to the large value, OpenSent (§8.2.2). */
function openSent(fsm: Fsm, first: FsmAction[] = []): Step {
  return {
    fsm: { ...fsm, state: "OpenSent" },
    actions: [
      ...first,
      stop("ConnectRetryTimer"),
      send(fsm.config.open),
      start("HoldTimer", fsm.config.openHoldTime),
    ],
  };
}

const ceaseText = "session stopped";

/** A stop event's NOTIFICATION: the one given, none for a graceful restart, else Cease. */
function stopNotification(e: Extract<Event, { type: "ManualStop" | "AutomaticStop" }>): FsmAction[] {
  if (e.notification === "none") return [];
  return [send(e.notification ?? cease(CeaseSubcode.AdministrativeShutdown, ceaseText))];
}

function fsmError(fsm: Fsm, subcode: number, event: Event): Step {
  const n = notification(
    bgpError(ErrorCode.FiniteStateMachine, subcode, `unexpected ${event.type} in ${fsm.state}`),
  );
  return toIdle(
    fsm,
    {
      kind: "notification-sent",
      text: `unexpected ${event.type} in ${fsm.state}`,
      code: n.code,
      subcode: n.subcode,
    },
    { counter: "increment", first: [send(n)] },
  );
}

function sentError(fsm: Fsm, e: BgpError): Step {
  return toIdle(
    fsm,
    { kind: "notification-sent", text: e.reason, code: e.code, subcode: e.subcode },
    { counter: "increment", first: [send(notification(e))] },
  );
}

function received(n: NotificationMessage): DownReason {
  return {
    kind: "notification-received",
    text: `peer sent NOTIFICATION ${describe(n)}`,
    code: n.code,
    subcode: n.subcode,
  };
}

/**
 * Why a stop event took the session down. An automatic stop that sends a NOTIFICATION (the
 * max-prefix guard's Cease/1, say) is reported as that NOTIFICATION, and restarts later; an
 * operator's stop keeps the session down.
 */
function stoppedReason(e: Extract<Event, { type: "ManualStop" | "AutomaticStop" }>): DownReason {
  if (e.type === "AutomaticStop" && e.notification !== undefined) {
    const n = e.notification;
    return {
      kind: "notification-sent",
      text: `sent NOTIFICATION ${describe(n)}`,
      code: n.code,
      subcode: n.subcode,
    };
  }
  return {
    kind: "stopped",
    text: e.type === "ManualStop" ? "stopped by the operator" : "stopped automatically",
  };
}

/**
 * Events that OpenSent, OpenConfirm and Established handle alike (RFC 4271 §8.2.2), or
 * undefined for the state's own switch.
 */
function connected(fsm: Fsm, event: Event): Step | undefined {
  switch (event.type) {
    case "ManualStart":
    case "AutomaticStart":
    case "Tcp_CR_Acked":
    case "TcpConnectionConfirmed":
      // A second connection is the runtime's to track for collision detection (§6.8).
      return { fsm, actions: [] };
    case "ManualStop":
      return toIdle(fsm, stoppedReason(event), { counter: "reset", first: stopNotification(event) });
    case "AutomaticStop":
      return toIdle(fsm, stoppedReason(event), { counter: "increment", first: stopNotification(event) });
    case "HoldTimer_Expires":
      return sentError(
        fsm,
        bgpError(ErrorCode.HoldTimerExpired, 0, `no KEEPALIVE or UPDATE within the hold time (${fsm.state})`),
      );
    case "OpenCollisionDump":
      return sentError(
        fsm,
        bgpError(ErrorCode.Cease, CeaseSubcode.ConnectionCollisionResolution, "connection collision"),
      );
    default:
      return undefined;
  }
}

export function step(fsm: Fsm, event: Event): Step {
  const none: Step = { fsm, actions: [] };
  const c = fsm.config;
  if (fsm.state === "OpenSent" || fsm.state === "OpenConfirm" || fsm.state === "Established") {
    const common = connected(fsm, event);
    if (common !== undefined) return common;
  }
  switch (fsm.state) {
    case "Idle":
      switch (event.type) {
        case "ManualStart":
          return begin({ ...fsm, connectRetryCounter: 0 });
        case "AutomaticStart":
          return fsm.stopped ? none : begin(fsm);
        case "IdleHoldTimer_Expires":
          return fsm.stopped || !c.autoRestart ? none : begin(fsm);
        case "ManualStop":
          return { fsm: { ...fsm, stopped: true }, actions: [stop("IdleHoldTimer")] };
        case "TcpConnectionConfirmed":
          // Deviation from §8.2.2, which refuses connections in Idle: a session waiting out its
          // IdleHoldTimer takes the peer's connection, since refusing only delays recovery.
          if (fsm.stopped) return none;
          return openSent({ ...fsm, state: "Idle" }, [stop("IdleHoldTimer")]);
        default:
          // §8.2.2: any other event in Idle changes nothing.
          return none;
      }

    case "Connect":
    case "Active":
      switch (event.type) {
        case "ManualStart":
        case "AutomaticStart":
        case "StableTimer_Expires":
        case "UpdateSent":
          return none;
        case "ManualStop":
          return toIdle(fsm, stoppedReason(event), { counter: "reset" });
        case "ConnectRetryTimer_Expires":
          // Connect: retry the connection. Active: try connecting, unless passive (§8.2.2).
          if (c.passive) return { fsm, actions: [start("ConnectRetryTimer", c.connectRetryTime, true)] };
          return {
            fsm: { ...fsm, state: "Connect" },
            actions: [
              { type: "drop" },
              start("ConnectRetryTimer", c.connectRetryTime, true),
              { type: "connect" },
            ],
          };
        case "Tcp_CR_Acked":
        case "TcpConnectionConfirmed":
          return openSent(fsm);
        case "TcpConnectionFails":
          return toIdle(fsm, { kind: "connection", text: "TCP connection failed" }, { counter: "increment" });
        case "NotifMsgVerErr":
          return toIdle(fsm, received(event.notification), { counter: "keep" });
        default:
          return toIdle(
            fsm,
            { kind: "connection", text: `unexpected ${event.type} in ${fsm.state}` },
            { counter: "increment" },
          );
      }

    // Below, each connected state handles only what differs from `connected()`.
    case "OpenSent":
      switch (event.type) {
        case "StableTimer_Expires":
        case "UpdateSent":
          // Ours, and meaningless before Established.
          return none;
        case "TcpConnectionFails":
          // §8.2.2: close, restart the ConnectRetryTimer, keep listening: Active.
          return {
            fsm: { ...fsm, state: "Active" },
            actions: [
              { type: "drop" },
              stop("HoldTimer"),
              start("ConnectRetryTimer", c.connectRetryTime, true),
            ],
          };
        case "BGPOpen": {
          const valid = validateOpen(event.open, c.expect);
          if (!valid.ok) return sentError(fsm, valid.error);
          const negotiated = negotiate(c.open, event.open, c.expect.localAs);
          const k = keepaliveInterval(c, negotiated.holdTime);
          const actions: FsmAction[] = [stop("ConnectRetryTimer"), send(KEEPALIVE)];
          if (negotiated.holdTime > 0) {
            actions.push(start("KeepaliveTimer", k, true), start("HoldTimer", negotiated.holdTime));
          } else {
            actions.push(stop("HoldTimer"));
          }
          return { fsm: { ...fsm, state: "OpenConfirm", negotiated }, actions };
        }
        case "BGPHeaderErr":
        case "BGPOpenMsgErr":
          return sentError(fsm, event.error);
        case "NotifMsgVerErr":
          return toIdle(fsm, received(event.notification), { counter: "keep" });
        case "NotifMsg":
          return toIdle(fsm, received(event.notification), { counter: "increment" });
        default:
          return fsmError(fsm, FsmSubcode.OpenSent, event);
      }

    case "OpenConfirm":
      switch (event.type) {
        case "StableTimer_Expires":
        case "UpdateSent":
          return none;
        case "KeepaliveTimer_Expires":
          return {
            fsm,
            actions: [
              send(KEEPALIVE),
              start("KeepaliveTimer", keepaliveInterval(c, fsm.negotiated!.holdTime), true),
            ],
          };
        case "TcpConnectionFails":
          return toIdle(fsm, { kind: "connection", text: "TCP connection failed" }, { counter: "increment" });
        case "NotifMsg":
          return toIdle(fsm, received(event.notification), { counter: "increment" });
        case "NotifMsgVerErr":
          return toIdle(fsm, received(event.notification), { counter: "keep" });
        case "BGPHeaderErr":
        case "BGPOpenMsgErr":
          return sentError(fsm, event.error);
        case "KeepAliveMsg": {
          const n = fsm.negotiated!;
          const actions: FsmAction[] = [];
          if (n.holdTime > 0) actions.push(start("HoldTimer", n.holdTime));
          actions.push(start("StableTimer", c.stableTime), { type: "established", negotiated: n });
          return { fsm: { ...fsm, state: "Established" }, actions };
        }
        default:
          return fsmError(fsm, FsmSubcode.OpenConfirm, event);
      }

    case "Established":
      switch (event.type) {
        case "KeepaliveTimer_Expires":
        case "UpdateSent": {
          const k = keepaliveInterval(c, fsm.negotiated!.holdTime);
          if (k === 0) return none;
          const actions: FsmAction[] = event.type === "KeepaliveTimer_Expires" ? [send(KEEPALIVE)] : [];
          actions.push(start("KeepaliveTimer", k, true));
          return { fsm, actions };
        }
        case "StableTimer_Expires":
          // The session proved itself: failures from now on start the back-off afresh.
          return { fsm: { ...fsm, connectRetryCounter: 0 }, actions: [] };
        case "TcpConnectionFails":
          return toIdle(fsm, { kind: "connection", text: "TCP connection lost" }, { counter: "increment" });
        case "NotifMsg":
        case "NotifMsgVerErr":
          return toIdle(fsm, received(event.notification), { counter: "increment" });
        case "KeepAliveMsg":
          return {
            fsm,
            actions: fsm.negotiated!.holdTime > 0 ? [start("HoldTimer", fsm.negotiated!.holdTime)] : [],
          };
        case "UpdateMsg": {
          const actions: FsmAction[] = [{ type: "receivedUpdate", update: event.update }];
          if (fsm.negotiated!.holdTime > 0) actions.unshift(start("HoldTimer", fsm.negotiated!.holdTime));
          return { fsm, actions };
        }
        case "RouteRefreshMsg": {
          const actions: FsmAction[] = [{ type: "routeRefresh", request: event.request }];
          if (fsm.negotiated!.holdTime > 0) actions.unshift(start("HoldTimer", fsm.negotiated!.holdTime));
          return { fsm, actions };
        }
        case "UpdateMsgErr":
        case "BGPHeaderErr":
          return sentError(fsm, event.error);
        default:
          return fsmError(fsm, FsmSubcode.Established, event);
      }
  }
}

/**
 * Connection collision resolution (RFC 4271 §6.8, RFC 6286 §2.3): which connection survives
 * when both sides opened one. Compare BGP Identifiers as unsigned 32-bit integers; the
 * connection initiated by the higher one survives. Equal identifiers (possible between
 * different ASes since RFC 6286) fall back to the larger AS.
 */
export function collisionWinner(
  local: { bgpId: number; as: number },
  remote: { bgpId: number; as: number },
): "ours" | "theirs" {
  if (local.bgpId !== remote.bgpId) return local.bgpId >>> 0 > remote.bgpId >>> 0 ? "ours" : "theirs";
  return local.as > remote.as ? "ours" : "theirs";
}
