/**
 * One BGP session to one peer: binds the RFC 4271 FSM (protocol/bgp/fsm.ts) to TCP sockets,
 * a clock and the Adj-RIB-Out. Owns at most two connections at once — the usual one, and a
 * second while a connection collision (RFC 4271 §6.8) is being resolved.
 *
 * What it does with routes: keeps the desired set; once Established, sends all of it packed
 * into the fewest UPDATEs, then End-of-RIB for each family (RFC 4724 §2); afterwards sends only
 * the difference when the desired set changes. Received routes are counted, never kept
 * (signalbox only originates), with a max-prefix guard (RFC 4486 Cease/1).
 *
 * TCP MD5 (RFC 2385), GTSM (RFC 5082) and bind to device need options set before the SYN:
 * such connections are opened through the native door (src/platform/tcp.ts) and handed to
 * node:net; the others are plain node:net connections. The password is read only there.
 */
import { type Socket, connect as tcpConnect } from "node:net";
import {
  Afi,
  type BgpError,
  CeaseSubcode,
  type CodecContext,
  cease,
  collisionWinner,
  DEFAULT_CONTEXT,
  type DownReason,
  decodeMessage,
  describeNotification,
  type Event,
  encodeMessage,
  endOfRib,
  endOfRibOf,
  Framer,
  type Fsm,
  type FsmAction,
  mpReachOf,
  mpUnreachOf,
  type Negotiated,
  type NotificationMessage,
  newFsm,
  type OpenMessage,
  packAnnouncements,
  packWithdrawals,
  RouteRefreshSubtype,
  Safi,
  shutdownCommunicationOf,
  step,
  type Timer,
  type UpdateMessage,
  updateAction,
} from "../../../protocol/bgp/index.ts";
import { IpAddress, type Prefix } from "../../../protocol/ip/index.ts";
import { type Netsys, realNetsys } from "../../platform/netsys.ts";
import {
  checkAcceptedTtl,
  connectTcp,
  needsNativeSocket,
  socketFd,
  type TcpSecurity,
} from "../../platform/tcp.ts";
import { AdjRibOut } from "./adj-rib-out.ts";
import { type Clock, jittered, type Random, systemClock } from "./clock.ts";
import { originatedAttributes, prefixKey, type Route, type RouteAttributes } from "./route.ts";
import { localOpen, type SessionConfig } from "./session-config.ts";
import { counters, type SessionStatus, unsendableReport } from "./session-status.ts";

export type { SessionConfig, SessionStatus };

/** Everything the session reports, for status, metrics and logs. */
export type SessionEvent =
  | { readonly type: "state"; readonly from: string; readonly to: string; readonly reason?: DownReason }
  | { readonly type: "established"; readonly negotiated: Negotiated }
  | { readonly type: "down"; readonly reason: DownReason; readonly wasEstablished: boolean }
  | {
      readonly type: "notificationReceived";
      readonly code: number;
      readonly subcode: number;
      readonly text: string;
    }
  | {
      readonly type: "notificationSent";
      readonly code: number;
      readonly subcode: number;
      readonly text: string;
    }
  | { readonly type: "updateProblem"; readonly action: string; readonly reason: string }
  | { readonly type: "connectionRejected"; readonly reason: string };

export interface SessionDeps {
  readonly clock?: Clock;
  readonly random?: Random;
  /** Opens the TCP connection; replaced in tests. Default: node:net, or the native door (MD5, GTSM, device). */
  readonly connect?: (c: SessionConfig) => Socket;
  /** The native door for TCP MD5, GTSM and bind to device; default: the addon, loaded when first needed. */
  readonly netsys?: () => Netsys;
  readonly onEvent?: (e: SessionEvent) => void;
}

/** Routes encoded per turn of the event loop: 8 full 4096-octet UPDATEs of /32s. */
const SLICE = 8 * 808;

interface Connection {
  fsm: Fsm;
  socket: Socket | undefined;
  framer: Framer;
  ctx: CodecContext;
  readonly timers: Map<Timer, unknown>;
  /** Who opened this connection: decides collisions (RFC 4271 §6.8). */
  initiatedBy: "us" | "peer";
  /** The peer's OPEN, once received (collision resolution needs its BGP Identifier). */
  peerOpen?: OpenMessage;
  /** The session's main connection restarts itself; a colliding second one never does. */
  primary: boolean;
  /** Local address of the socket, for next hops. */
  localAddress?: IpAddress;
}

export class BgpSession {
  readonly config: SessionConfig;
  private readonly clock: Clock;
  private readonly random: Random;
  private readonly connectFn: (c: SessionConfig) => Socket;
  private readonly netsysFn: () => Netsys;
  /** Why the TCP connection does not come up, when we can tell (status; never the password). */
  private transportProblem: string | undefined;
  /** Our connection attempts in a row that never connected before the ConnectRetryTimer. */
  private connectTimeouts = 0;
  private readonly onEvent: (e: SessionEvent) => void;
  private readonly open: OpenMessage;
  private conn: Connection;
  private second: Connection | undefined;
  private desired: readonly Route[] = [];
  private readonly ribOut = new AdjRibOut();
  private flushScheduled = false;
  /**
   * UPDATE batches waiting to be written, oldest first. A large table goes out in slices,
   * one per turn of the event loop, so the peer starts importing while the rest is encoded.
   */
  private readonly outbox: (() => Uint8Array[])[] = [];
  private pumping = false;
  private establishedAt: number | undefined;
  private establishedWall: number | undefined;
  private readonly received = new Set<number | string>();
  private flaps = 0;
  private lastError: (DownReason & { at: string; description?: string }) | undefined;
  private unsendable: { count: number; reason: string } | undefined;
  private readonly sent = counters();
  private readonly recv = counters();
  /** NOTIFICATIONs by `code/subcode` (RFC 4271 §4.5), for metrics and status. */
  private readonly notificationsSent = new Map<string, number>();
  private readonly notificationsReceived = new Map<string, number>();

  constructor(config: SessionConfig, deps: SessionDeps = {}) {
    this.config = config;
    this.clock = deps.clock ?? systemClock;
    this.random = deps.random ?? Math.random;
    this.connectFn = deps.connect ?? ((c) => this.defaultConnect(c));
    this.netsysFn = deps.netsys ?? (() => realNetsys());
    this.onEvent = deps.onEvent ?? (() => {});
    this.open = localOpen(config);
    this.conn = this.newConnection(true, config.passive);
  }

  private fsmConfig(passive: boolean, primary: boolean) {
    const c = this.config;
    return {
      open: this.open,
      expect: { localAs: c.localAs, peerAs: c.peerAs, localBgpId: c.routerId },
      passive,
      connectRetryTime: c.connectRetryTime,
      ...(c.keepaliveTime !== undefined ? { keepaliveTime: c.keepaliveTime } : {}),
      openHoldTime: 240,
      idleHoldTime: 1,
      maxIdleHoldTime: 60,
      stableTime: 60,
      autoRestart: primary,
    };
  }

  private newConnection(primary: boolean, passive: boolean): Connection {
    return {
      fsm: newFsm(this.fsmConfig(passive, primary)),
      socket: undefined,
      framer: new Framer(),
      ctx: DEFAULT_CONTEXT,
      timers: new Map(),
      initiatedBy: "us",
      primary,
    };
  }

  get state(): string {
    return this.conn.fsm.state;
  }

  get established(): boolean {
    return this.conn.fsm.state === "Established";
  }

  start(): void {
    this.feed(this.conn, { type: "ManualStart" });
  }

  /**
   * Stops the session. "notify" sends Cease/Administrative Shutdown with `text` as the RFC 9003
   * shutdown communication; "graceful" closes TCP without a NOTIFICATION when the peer
   * negotiated graceful restart (RFC 4724 §4), so it keeps our routes while we restart.
   * Resolves once the connection is closed (bounded by `timeoutMs`).
   */
  stop(
    opts: {
      mode?: "notify" | "graceful";
      /** RFC 4486 Cease subcode; default Administrative Shutdown (2). */
      subcode?: number;
      text?: string;
      timeoutMs?: number;
    } = {},
  ): Promise<void> {
    // Graceful only when both sides advertised graceful restart: otherwise the peer would
    // just see a dead session and flush our routes without knowing why.
    const graceful =
      opts.mode === "graceful" &&
      this.config.gracefulRestart !== undefined &&
      this.conn.fsm.negotiated?.peerGracefulRestart !== undefined;
    const notification: NotificationMessage | "none" = graceful
      ? "none"
      : cease(
          opts.subcode ?? CeaseSubcode.AdministrativeShutdown,
          opts.text ?? "signalbox speaker shutting down",
        );
    const done = new Promise<void>((resolve) => {
      const sockets = [this.conn.socket, this.second?.socket].filter(
        (s): s is Socket => s !== undefined && !s.destroyed,
      );
      if (sockets.length === 0) return resolve();
      let left = sockets.length;
      const timer = this.clock.setTimer(opts.timeoutMs ?? 2000, () => {
        for (const s of sockets) s.destroy();
        resolve();
      });
      for (const s of sockets) {
        s.once("close", () => {
          if (--left === 0) {
            this.clock.clearTimer(timer);
            resolve();
          }
        });
      }
    });
    if (this.second) this.feed(this.second, { type: "ManualStop", notification });
    this.feed(this.conn, { type: "ManualStop", notification });
    return done;
  }

  /** Sets the routes this session should advertise; the difference goes out on the next tick. */
  setRoutes(routes: readonly Route[]): void {
    // Kept by reference, not copied: a table can hold hundreds of thousands of routes. The
    // caller hands over a new array for every change and does not mutate a given one.
    this.desired = routes;
    this.scheduleFlush();
  }

  /**
   * Takes a connection the peer opened to our listener (RFC 4271 §8: TcpConnectionConfirmed).
   * Resolves collisions with the connection we may have opened ourselves (§6.8).
   */
  accept(socket: Socket): void {
    if (this.config.ttlSecurity) {
      // RFC 5082 §3: per connection, before anything is read (the listener serves every peer).
      const problem = this.secureAccepted(socket);
      if (problem !== undefined) {
        this.transportProblem = problem;
        this.onEvent({ type: "connectionRejected", reason: problem });
        socket.destroy();
        return;
      }
    }
    const primary = this.conn;
    const s = primary.fsm.state;
    if (s === "Idle" && primary.fsm.stopped) {
      this.reject(socket, "session administratively stopped");
      return;
    }
    if (s === "Established") {
      // RFC 4724 §4.2: a new connection from a peer that negotiated graceful restart means
      // it restarted; the old session is gone. Otherwise the new one loses (§6.8).
      if (primary.fsm.negotiated?.peerGracefulRestart !== undefined) {
        this.feed(primary, { type: "TcpConnectionFails" });
        this.adopt(this.conn, socket);
        return;
      }
      this.reject(socket, "collision with an Established session");
      return;
    }
    if (primary.socket === undefined) {
      // Idle (waiting to restart) or Active: nothing of ours is in flight; take theirs.
      this.adopt(primary, socket);
      return;
    }
    // Our own connection is in flight (Connect) or open (OpenSent, OpenConfirm): run theirs
    // beside it until an OPEN decides which one stays (RFC 4271 §6.8).
    if (this.second !== undefined) {
      this.reject(socket, "a colliding connection is already being resolved");
      return;
    }
    const second = this.newConnection(false, true);
    this.second = second;
    this.feed(second, { type: "ManualStart" });
    this.adopt(second, socket);
  }

  private adopt(conn: Connection, socket: Socket): void {
    this.transportProblem = undefined;
    conn.initiatedBy = "peer";
    conn.framer = new Framer();
    conn.ctx = DEFAULT_CONTEXT;
    this.bindSocket(conn, socket);
    this.feed(conn, { type: "TcpConnectionConfirmed" });
  }

  /** GTSM on an accepted connection; a problem text if it could not be set. */
  private secureAccepted(socket: Socket): string | undefined {
    const fd = socketFd(socket);
    if (fd === undefined) return "TTL security: the accepted connection's socket is out of reach";
    try {
      const refused = checkAcceptedTtl(this.netsysFn(), fd, this.config.peerAddress.family);
      return refused === undefined
        ? undefined
        : `connection from ${this.config.peerAddress} refused: ${refused}`;
    } catch (e) {
      return `TTL security on an accepted connection: ${(e as Error).message}`;
    }
  }

  private reject(socket: Socket, reason: string): void {
    this.onEvent({ type: "connectionRejected", reason });
    const n = cease(CeaseSubcode.ConnectionCollisionResolution);
    socket.end(encodeMessage(n, DEFAULT_CONTEXT));
    this.clock.setTimer(1000, () => socket.destroy());
  }

  // --- the FSM loop -------------------------------------------------------------------

  private feed(conn: Connection, event: Event): void {
    const before = conn.fsm.state;
    const result = step(conn.fsm, event);
    conn.fsm = result.fsm;
    if (conn.primary && before !== conn.fsm.state) {
      // The reason belongs to the transition into Idle, not to the ones after it.
      const reason = conn.fsm.state === "Idle" ? conn.fsm.lastDown : undefined;
      this.onEvent({ type: "state", from: before, to: conn.fsm.state, ...(reason ? { reason } : {}) });
    }
    for (const a of result.actions) this.perform(conn, a);
    // A colliding connection that lost (or failed) is forgotten once Idle.
    if (!conn.primary && conn.fsm.state === "Idle" && this.second === conn) this.second = undefined;
  }

  private perform(conn: Connection, a: FsmAction): void {
    switch (a.type) {
      case "connect":
        this.openConnection(conn);
        return;
      case "send":
        this.send(conn, [encodeMessage(a.message, conn.ctx)], a.message.type);
        if (a.message.type === "NOTIFICATION") {
          countNotification(this.notificationsSent, a.message.code, a.message.subcode);
          this.onEvent({
            type: "notificationSent",
            code: a.message.code,
            subcode: a.message.subcode,
            text: describeNotification(a.message.code, a.message.subcode),
          });
        }
        return;
      case "drop":
        this.dropSocket(conn);
        return;
      case "startTimer":
        this.startTimer(conn, a.timer, a.jitter ? jittered(a.seconds, this.random) : a.seconds);
        return;
      case "stopTimer": {
        const h = conn.timers.get(a.timer);
        if (h !== undefined) this.clock.clearTimer(h);
        conn.timers.delete(a.timer);
        return;
      }
      case "established":
        this.onEstablished(conn, a.negotiated);
        return;
      case "down":
        this.onDown(conn, a.reason, a.wasEstablished);
        return;
      case "receivedUpdate":
        this.onUpdate(conn, a.update);
        return;
      case "routeRefresh":
        this.onRouteRefresh(conn, a.request.afi, a.request.safi, a.request.subtype);
        return;
    }
  }

  private startTimer(conn: Connection, timer: Timer, seconds: number): void {
    const old = conn.timers.get(timer);
    if (old !== undefined) this.clock.clearTimer(old);
    const event = `${timer}_Expires` as Event["type"];
    conn.timers.set(
      timer,
      this.clock.setTimer(seconds * 1000, () => {
        conn.timers.delete(timer);
        if (timer === "ConnectRetryTimer" && conn.fsm.state === "Active" && this.config.passive)
          this.notePassiveWait();
        this.feed(conn, { type: event } as Event);
      }),
    );
  }

  private openConnection(conn: Connection): void {
    conn.initiatedBy = "us";
    conn.framer = new Framer();
    conn.ctx = DEFAULT_CONTEXT;
    let socket: Socket;
    try {
      socket = this.connectFn(this.config);
    } catch (e) {
      // E.g. the addon is not built, the device does not exist, no CAP_NET_RAW: say so.
      this.transportProblem = `cannot open the TCP connection: ${(e as Error).message}`;
      queueMicrotask(() => this.feed(conn, { type: "TcpConnectionFails" }));
      return;
    }
    this.bindSocket(conn, socket, () => this.feed(conn, { type: "Tcp_CR_Acked" }));
  }

  private bindSocket(conn: Connection, socket: Socket, onConnect?: () => void): void {
    conn.socket = socket;
    socket.setNoDelay(true);
    const setLocal = () => {
      conn.localAddress = socket.localAddress
        ? IpAddress.parse(socket.localAddress.replace(/^::ffff:(?=\d+\.)/, ""))
        : undefined;
    };
    if (onConnect) {
      socket.once("connect", () => {
        if (conn.socket !== socket) return;
        this.transportProblem = undefined;
        this.connectTimeouts = 0;
        setLocal();
        onConnect();
      });
    } else {
      setLocal();
    }
    socket.on("data", (chunk: Buffer) => {
      if (conn.socket === socket) this.onData(conn, chunk);
    });
    socket.on("error", () => {
      // 'close' follows and reports the failure.
    });
    socket.on("close", () => {
      if (conn.socket !== socket) return;
      conn.socket = undefined;
      this.feed(conn, { type: "TcpConnectionFails" });
    });
  }

  private dropSocket(conn: Connection): void {
    const s = conn.socket;
    if (s === undefined) return;
    conn.socket = undefined;
    if (s.connecting && conn.initiatedBy === "us") this.noteConnectTimeout();
    // end() flushes what was written (a NOTIFICATION) before the FIN; destroy soon after.
    s.end();
    this.clock.setTimer(1000, () => s.destroy());
  }

  /**
   * Our connection attempt was still without an answer when the ConnectRetryTimer fired. With
   * TCP MD5 that is the usual symptom of a key mismatch: the peer's kernel drops segments
   * whose signature is wrong or missing without a reply (RFC 2385 §2.0), and so does ours.
   */
  private noteConnectTimeout(): void {
    this.connectTimeouts++;
    const c = this.config;
    const base = `no answer to ${this.connectTimeouts} TCP connection attempt(s) to ${c.peerAddress}:${c.peerPort}`;
    const hints: string[] = [];
    if (c.password !== undefined)
      hints.push(
        "TCP MD5 is on: a peer whose key differs, or that has none for us, drops our segments silently (check the password on both sides)",
      );
    if (c.ttlSecurity)
      hints.push("TTL security is on: a peer more than one hop away, or not sending TTL 255, is dropped");
    this.transportProblem = hints.length === 0 ? base : `${base}; ${hints.join("; ")}`;
  }

  /**
   * A passive session still waiting for the peer. With TCP MD5 or GTSM, a connection that
   * fails the check is dropped by the kernel (or refused at accept) before we hear of it.
   */
  private notePassiveWait(): void {
    const c = this.config;
    if (c.password === undefined && !c.ttlSecurity) return;
    if (this.transportProblem !== undefined && !this.transportProblem.startsWith("waiting")) return;
    const hints: string[] = [];
    if (c.password !== undefined)
      hints.push(
        "TCP MD5 is on: a connection whose key differs from ours is dropped by the kernel before we see it (check the password on both sides)",
      );
    if (c.ttlSecurity) hints.push("TTL security is on: a peer more than one hop away is refused");
    this.transportProblem = `waiting for ${c.peerAddress} to connect (passive); ${hints.join("; ")}`;
  }

  private defaultConnect(c: SessionConfig): Socket {
    const security: TcpSecurity = {
      ...(c.password !== undefined ? { md5Key: c.password } : {}),
      ...(c.ttlSecurity ? { ttlSecurity: true } : {}),
      ...(c.device !== undefined ? { device: c.device } : {}),
    };
    if (!needsNativeSocket(security)) {
      return tcpConnect({
        host: c.peerAddress.toString(),
        port: c.peerPort,
        ...(c.sourceAddress ? { localAddress: c.sourceAddress.toString() } : {}),
        family: c.peerAddress.family,
        noDelay: true,
      });
    }
    return connectTcp(this.netsysFn(), {
      ...security,
      peer: c.peerAddress,
      port: c.peerPort,
      ...(c.sourceAddress ? { localAddress: c.sourceAddress } : {}),
    });
  }

  private send(conn: Connection, messages: Uint8Array[], kind: string): void {
    const s = conn.socket;
    if (s === undefined || s.destroyed || messages.length === 0) return;
    const c = this.sent;
    const n = messages.length;
    if (kind === "OPEN") c.open += n;
    else if (kind === "UPDATE") c.update += n;
    else if (kind === "NOTIFICATION") c.notification += n;
    else if (kind === "KEEPALIVE") c.keepalive += n;
    else if (kind === "ROUTE-REFRESH") c.routeRefresh += n;
    // One write for a whole batch: far fewer syscalls when a table goes out.
    s.write(messages.length === 1 ? messages[0]! : Buffer.concat(messages));
  }

  private onData(conn: Connection, chunk: Buffer): void {
    const { frames, error } = conn.framer.push(chunk);
    for (const f of frames) {
      if (conn.socket === undefined) return;
      this.onFrame(conn, f);
    }
    if (error !== undefined && conn.socket !== undefined) this.feed(conn, { type: "BGPHeaderErr", error });
  }

  private onFrame(conn: Connection, frame: Uint8Array): void {
    const r = decodeMessage(frame, conn.ctx);
    if (!r.ok) {
      this.feed(conn, errorEvent(r.error));
      return;
    }
    const m = r.value;
    const c = this.recv;
    switch (m.type) {
      case "OPEN":
        c.open++;
        this.onOpen(conn, m);
        return;
      case "KEEPALIVE":
        c.keepalive++;
        this.feed(conn, { type: "KeepAliveMsg" });
        return;
      case "UPDATE":
        c.update++;
        this.feed(conn, { type: "UpdateMsg", update: m });
        return;
      case "NOTIFICATION": {
        c.notification++;
        countNotification(this.notificationsReceived, m.code, m.subcode);
        const text = shutdownCommunicationOf(m);
        this.onEvent({
          type: "notificationReceived",
          code: m.code,
          subcode: m.subcode,
          text: `${describeNotification(m.code, m.subcode)}${text ? `: "${text}"` : ""}`,
        });
        // RFC 4271 §8.1.2 event 24: a version error in reply to our OPEN.
        const versionError = m.code === 2 && m.subcode === 1;
        this.feed(
          conn,
          versionError ? { type: "NotifMsgVerErr", notification: m } : { type: "NotifMsg", notification: m },
        );
        return;
      }
      case "ROUTE-REFRESH":
        c.routeRefresh++;
        this.feed(conn, { type: "RouteRefreshMsg", request: m });
        return;
    }
  }

  private onOpen(conn: Connection, open: OpenMessage): void {
    conn.peerOpen = open;
    const other = conn === this.conn ? this.second : this.conn;
    // RFC 4271 §6.8: on OPEN, a collision with another connection in OpenSent/OpenConfirm
    // whose peer identifier is known (or ours, in OpenConfirm) is resolved now.
    if (other !== undefined && (other.fsm.state === "OpenConfirm" || other.fsm.state === "OpenSent")) {
      const winner = collisionWinner(
        { bgpId: this.config.routerId.w0, as: this.config.localAs },
        { bgpId: open.bgpId.w0, as: open.myAs },
      );
      const survivor =
        [conn, other].find((x) => x.initiatedBy === (winner === "ours" ? "us" : "peer")) ?? conn;
      const loser = survivor === conn ? other : conn;
      // The loser sends Cease/Connection Collision Resolution and is forgotten: it must not
      // count as a flap or restart itself.
      loser.primary = false;
      loser.fsm = { ...loser.fsm, config: { ...loser.fsm.config, autoRestart: false } };
      this.feed(loser, { type: "OpenCollisionDump" });
      if (survivor !== this.conn) this.promote(survivor);
      else this.second = undefined;
      if (loser === conn) return;
    } else if (conn !== this.conn) {
      // The peer's connection got its OPEN while ours never got that far: keep theirs.
      const old = this.conn;
      if (old.socket !== undefined) {
        old.socket.removeAllListeners();
        old.socket.destroy();
        old.socket = undefined;
      }
      this.promote(conn);
    }
    this.feed(conn, { type: "BGPOpen", open });
    if (conn.fsm.state === "OpenConfirm" && conn.fsm.negotiated) {
      const n = conn.fsm.negotiated;
      conn.ctx = { fourOctetAs: n.fourOctetAs, extendedMessage: n.extendedMessage, ibgp: n.ibgp };
      conn.framer.extendedMessage = n.extendedMessage;
    }
  }

  /** Makes a surviving second connection the session's main one. */
  private promote(conn: Connection): void {
    if (conn === this.conn) {
      this.second = undefined;
      return;
    }
    const old = this.conn;
    for (const h of old.timers.values()) this.clock.clearTimer(h);
    old.timers.clear();
    conn.primary = true;
    conn.fsm = { ...conn.fsm, config: this.fsmConfig(this.config.passive, true) };
    this.conn = conn;
    this.second = undefined;
  }

  private onEstablished(conn: Connection, n: Negotiated): void {
    this.establishedAt = this.clock.now();
    this.establishedWall = this.clock.wallNow();
    this.received.clear();
    this.onEvent({ type: "established", negotiated: n });
    this.ribOut.replace([]);
    this.flush(conn, true);
  }

  private onDown(conn: Connection, reason: DownReason, wasEstablished: boolean): void {
    if (!conn.primary) return;
    this.outbox.length = 0;
    this.unsendable = undefined;
    if (wasEstablished) this.flaps++;
    this.establishedAt = undefined;
    this.establishedWall = undefined;
    this.ribOut.replace([]);
    this.received.clear();
    const description =
      reason.code !== undefined ? describeNotification(reason.code, reason.subcode ?? 0) : undefined;
    this.lastError = {
      ...reason,
      at: new Date(this.clock.wallNow()).toISOString(),
      ...(description ? { description } : {}),
    };
    this.onEvent({ type: "down", reason, wasEstablished });
    for (const h of conn.timers.values()) this.clock.clearTimer(h);
    // Keep only the IdleHoldTimer the FSM just armed (it comes after "down" in the actions).
    conn.timers.clear();
  }

  private onUpdate(conn: Connection, u: UpdateMessage): void {
    const action = updateAction(u);
    if (action !== undefined) {
      for (const p of u.problems ?? [])
        this.onEvent({ type: "updateProblem", action: p.action, reason: p.error.reason });
    }
    if (endOfRibOf(u) !== undefined) return;
    const reach = mpReachOf(u);
    const unreach = mpUnreachOf(u);
    const withdrawn = [...u.withdrawn, ...(unreach?.withdrawn ?? [])];
    const announced = [...u.nlri, ...(reach?.nlri ?? [])];
    for (const p of withdrawn) this.received.delete(prefixKey(p));
    if (action === "treat-as-withdraw") {
      for (const p of announced) this.received.delete(prefixKey(p));
      return;
    }
    for (const p of announced) {
      this.received.add(prefixKey(p));
      if (this.received.size > this.config.maxPrefixes) {
        // RFC 4486 §4: Cease / Maximum Number of Prefixes Reached, data AFI, SAFI, limit.
        const data = new Uint8Array(7);
        const v = new DataView(data.buffer);
        v.setUint16(0, p.family === 4 ? Afi.IPV4 : Afi.IPV6);
        data[2] = Safi.UNICAST;
        v.setUint32(3, this.config.maxPrefixes);
        this.feed(conn, {
          type: "AutomaticStop",
          notification: {
            type: "NOTIFICATION",
            code: 6,
            subcode: CeaseSubcode.MaximumNumberOfPrefixesReached,
            data,
          },
        });
        return;
      }
    }
  }

  private onRouteRefresh(conn: Connection, afi: number, safi: number, subtype: number): void {
    // RFC 7313 §5: only subtype 0 is a request; others are ignored here.
    if (subtype !== RouteRefreshSubtype.REQUEST || safi !== Safi.UNICAST) return;
    const family = afi === Afi.IPV4 ? 4 : afi === Afi.IPV6 ? 6 : undefined;
    const n = conn.fsm.negotiated;
    if (family === undefined || n === undefined || !n.families.some((f) => f.afi === afi && f.safi === safi))
      return;
    // RFC 2918 §4: re-advertise the Adj-RIB-Out; RFC 7313 §4 brackets it with BoRR/EoRR.
    const routes = this.ribOut.all().filter((r) => r.prefix.family === family);
    const enhanced = n.enhancedRouteRefresh;
    const marker = (subtype: number) => [
      encodeMessage({ type: "ROUTE-REFRESH", afi, subtype, safi }, conn.ctx),
    ];
    if (enhanced) this.send(conn, marker(RouteRefreshSubtype.BORR), "ROUTE-REFRESH");
    this.send(conn, this.encodeAnnouncements(conn, routes), "UPDATE");
    if (enhanced) this.send(conn, marker(RouteRefreshSubtype.EORR), "ROUTE-REFRESH");
    this.feed(conn, { type: "UpdateSent" });
  }

  // --- sending routes -------------------------------------------------------------------

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    // Coalesce every change made in this turn of the event loop into one batch.
    setImmediate(() => {
      this.flushScheduled = false;
      if (this.established) this.flush(this.conn, false);
    });
  }

  /**
   * Sends the difference between the Adj-RIB-Out and the desired routes (all of them at start).
   * Only routes that can be sent enter the Adj-RIB-Out: a family the peer did not negotiate, or
   * one without a next hop on this session, is left out and reported in status.
   */
  private flush(conn: Connection, initial: boolean): void {
    const n = conn.fsm.negotiated;
    if (n === undefined) return;
    const negotiated = (afi: number) => n.families.some((f) => f.afi === afi && f.safi === Safi.UNICAST);
    const nh4 = negotiated(Afi.IPV4) ? this.nextHop(conn, 4) : undefined;
    const nh6 = negotiated(Afi.IPV6) ? this.nextHop(conn, 6) : undefined;
    const sendable =
      nh4 !== undefined && nh6 !== undefined
        ? this.desired
        : this.desired.filter((r) => (r.prefix.family === 4 ? nh4 : nh6) !== undefined);
    this.unsendable = unsendableReport(this.desired, negotiated, nh4, nh6);
    // The initial table is all of it: nothing to diff against.
    const { announce, withdraw } = initial
      ? { announce: sendable, withdraw: [] }
      : this.ribOut.replace(sendable);
    for (const family of [4, 6] as const) {
      const w = withdraw.filter((p) => p.family === family);
      if (w.length > 0) this.outbox.push(() => packWithdrawals(family, w, conn.ctx));
    }
    for (let i = 0; i < announce.length; i += SLICE) {
      const from = i;
      this.outbox.push(() =>
        this.encodeAnnouncements(conn, announce, from, Math.min(from + SLICE, announce.length)),
      );
    }
    // RFC 4724 §2: End-of-RIB for each family after the initial table.
    if (initial) this.outbox.push(() => n.families.map((f) => endOfRib(f.afi, f.safi)));
    this.pump(conn);
    if (initial) this.ribOut.replace(sendable);
  }

  /** Writes one batch now and schedules the next, until the outbox is empty. */
  private pump(conn: Connection): void {
    if (this.pumping) return;
    const next = this.outbox.shift();
    if (next === undefined) return;
    if (conn.socket === undefined || conn !== this.conn) {
      this.outbox.length = 0;
      return;
    }
    const msgs = next();
    if (msgs.length > 0) {
      this.send(conn, msgs, "UPDATE");
      this.feed(conn, { type: "UpdateSent" });
    }
    if (this.outbox.length === 0) return;
    this.pumping = true;
    setImmediate(() => {
      this.pumping = false;
      this.pump(conn);
    });
  }

  /** Encodes routes[from, to) (all of them by default) into UPDATEs. */
  private encodeAnnouncements(
    conn: Connection,
    routes: readonly Route[],
    from = 0,
    to = routes.length,
  ): Uint8Array[] {
    const n = conn.fsm.negotiated!;
    // Group by attribute object first (one map lookup per route, no string building), then
    // merge groups whose attributes are equal but distinct objects.
    const byObject = new Map<RouteAttributes, [Prefix[], Prefix[]]>();
    for (let i = from; i < to; i++) {
      const r = routes[i]!;
      let g = byObject.get(r.attributes);
      if (g === undefined) {
        g = [[], []];
        byObject.set(r.attributes, g);
      }
      g[r.prefix.family === 4 ? 0 : 1].push(r.prefix);
    }
    const byKey = new Map<string, { attributes: RouteAttributes; prefixes: [Prefix[], Prefix[]] }>();
    for (const [attributes, prefixes] of byObject) {
      const merged = byKey.get(attributes.key);
      if (merged === undefined) byKey.set(attributes.key, { attributes, prefixes });
      else for (const i of [0, 1] as const) for (const p of prefixes[i]) merged.prefixes[i].push(p);
    }
    const out: Uint8Array[] = [];
    for (const { attributes: a, prefixes } of byKey.values()) {
      const attributes = originatedAttributes(a, {
        localAs: this.config.localAs,
        ibgp: n.ibgp,
        fourOctetAs: n.fourOctetAs,
      });
      for (const family of [4, 6] as const) {
        const ps = prefixes[family === 4 ? 0 : 1];
        const nextHop = this.nextHop(conn, family);
        if (ps.length === 0 || nextHop === undefined) continue;
        out.push(...packAnnouncements({ family, attributes, nextHops: [nextHop], prefixes: ps }, conn.ctx));
      }
    }
    return out;
  }

  /** RFC 4271 §5.1.3: our address on the session; for the other family, a configured one. */
  private nextHop(conn: Connection, family: 4 | 6): IpAddress | undefined {
    const local = conn.localAddress;
    if (local !== undefined && local.family === family) return local;
    return family === 6 ? this.config.nextHopV6 : this.config.nextHopV4;
  }

  status(): SessionStatus {
    const n = this.conn.fsm.negotiated;
    const established = this.established && this.establishedAt !== undefined;
    return {
      peerAddress: this.config.peerAddress.toString(),
      peerPort: this.config.peerPort,
      localAs: this.config.localAs,
      peerAs: this.config.peerAs,
      routerId: this.config.routerId.toString(),
      state: this.conn.fsm.state,
      ...(established
        ? {
            establishedSince: new Date(this.establishedWall!).toISOString(),
            uptimeSeconds: Math.floor((this.clock.now() - this.establishedAt!) / 1000),
          }
        : {}),
      ...(n && established
        ? {
            holdTime: n.holdTime,
            keepaliveTime: n.holdTime === 0 ? 0 : Math.max(1, Math.floor(n.holdTime / 3)),
            capabilities: {
              fourOctetAs: n.fourOctetAs,
              extendedMessage: n.extendedMessage,
              routeRefresh: n.routeRefresh,
              enhancedRouteRefresh: n.enhancedRouteRefresh,
              families: n.families.map(
                (f) =>
                  `${f.afi === 1 ? "ipv4" : f.afi === 2 ? "ipv6" : `afi${f.afi}`}-${f.safi === 1 ? "unicast" : `safi${f.safi}`}`,
              ),
              ...(n.peerGracefulRestart
                ? {
                    peerGracefulRestart: {
                      restartTime: n.peerGracefulRestart.restartTime,
                      restarting: (n.peerGracefulRestart.flags & 0x8) !== 0,
                    },
                  }
                : {}),
            },
          }
        : {}),
      prefixes: {
        advertised: { ipv4: this.ribOut.count(4), ipv6: this.ribOut.count(6) },
        received: this.received.size,
        desired: this.desired.length,
      },
      messages: { sent: { ...this.sent }, received: { ...this.recv } },
      notifications: {
        sent: Object.fromEntries(this.notificationsSent),
        received: Object.fromEntries(this.notificationsReceived),
      },
      flaps: this.flaps,
      ...(this.conn.socket?.remoteAddress
        ? {
            connection: {
              local: `${this.conn.socket.localAddress}:${this.conn.socket.localPort}`,
              remote: `${this.conn.socket.remoteAddress}:${this.conn.socket.remotePort}`,
              initiatedBy: this.conn.initiatedBy,
            },
          }
        : {}),
      transport: {
        md5: this.config.password !== undefined,
        ttlSecurity: this.config.ttlSecurity === true,
        ...(this.config.device !== undefined ? { device: this.config.device } : {}),
        ...(this.transportProblem !== undefined && !established ? { problem: this.transportProblem } : {}),
      },
      ...(this.lastError ? { lastError: this.lastError } : {}),
      ...(this.unsendable ? { unsendable: this.unsendable } : {}),
    };
  }
}

/** The FSM event for a message that failed to decode (RFC 4271 §8.1.2 events 21, 22, 28). */
function errorEvent(e: BgpError): Event {
  if (e.code === 1) return { type: "BGPHeaderErr", error: e };
  if (e.code === 2) return { type: "BGPOpenMsgErr", error: e };
  return { type: "UpdateMsgErr", error: e };
}

function countNotification(m: Map<string, number>, code: number, subcode: number): void {
  const k = `${code}/${subcode}`;
  m.set(k, (m.get(k) ?? 0) + 1);
}
