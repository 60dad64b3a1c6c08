// A scripted BGP peer for the malformed-input tests (speaker-resilience.test.ts). Run inside a
// namespace:
//
//   node scripted-peer.ts PLAN.json EVENTS.jsonl
//
// PLAN: { "asn": 65100, "holdTime": 3, "cases": [{ "address": "10.0.35.101", "case": "bad-marker" }, …] }
//
// For each case it listens on address:179 and waits for our speaker to connect. The first
// connection plays the case: a normal handshake (or a broken OPEN), then one malformed message;
// it never closes the connection itself, so whatever the speaker sends back, and whether the
// speaker closes, is recorded. Every later connection is a healthy peer (OPEN, KEEPALIVE every
// second), so the test can see the session recover.
//
// EVENTS gets one JSON object per line: {"event":"ready"} once every listener is up, then
// {"address","conn","event":"connected"|"sent"|"received"|"closed","ms",…} with each received
// message decoded (type; code, subcode and data in hex for a NOTIFICATION; EoR flagged).
//
// Messages are built with protocol/bgp where they are valid and by hand where they must not be.

import { appendFileSync, readFileSync } from "node:fs";
import { createServer, type Socket } from "node:net";
import {
  type Capability,
  DEFAULT_CONTEXT,
  decodeMessage,
  encodeMessage,
  endOfRibOf,
  Framer,
  type Message,
  type OpenMessage,
} from "../../protocol/bgp/index.ts";
import { IpAddress } from "../../protocol/ip/index.ts";

export const CASES = [
  // header (RFC 4271 §6.1)
  "bad-marker",
  "bad-length",
  "keepalive-length",
  "update-short",
  "bad-type",
  // OPEN (§6.2)
  "open-bad-version",
  "open-bad-as",
  "open-bad-id",
  "open-hold-1",
  "open-short",
  "open-unsupported-param",
  // FSM (RFC 6608)
  "update-in-opensent",
  "keepalive-in-opensent",
  "open-in-openconfirm",
  "open-in-established",
  // UPDATE (§6.3, RFC 7606)
  "update-withdrawn-overrun",
  "update-bad-prefix-length",
  "update-unknown-well-known",
  "update-duplicate-mp-reach",
  "update-missing-origin",
  "update-origin-flags",
  // Cease (RFC 4486) and the peer's own NOTIFICATION
  "max-prefix",
  "notification",
  // ROUTE-REFRESH (RFC 7313)
  "route-refresh-bad-length",
  // valid, if unusual: the session must stay up
  "open-unknown-capability",
  "open-hold-0",
  "update-byte-by-byte",
] as const;
export type Case = (typeof CASES)[number];

export interface Plan {
  asn: number;
  holdTime: number;
  cases: { address: string; case: Case }[];
}

export interface PeerEvent {
  event: "ready" | "connected" | "sent" | "received" | "closed" | "error";
  address?: string;
  conn?: number;
  /** Wall clock (ms since the epoch), and ms since the connection was accepted. */
  at?: number;
  ms?: number;
  /** sent: what; received: the message type. */
  what?: string;
  code?: number;
  subcode?: number;
  /** NOTIFICATION data, hex. */
  data?: string;
  eor?: boolean;
  /** received: a message our codec could not decode (hex of the whole frame). */
  raw?: string;
}

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

/** A message with a correct header around `body`. */
function frame(type: number, body: Uint8Array | number[]): Uint8Array {
  const b = Uint8Array.from(body);
  const out = new Uint8Array(19 + b.length);
  out.fill(0xff, 0, 16);
  out[16] = out.length >> 8;
  out[17] = out.length & 0xff;
  out[18] = type;
  out.set(b, 19);
  return out;
}

/** ORIGIN IGP, AS_PATH [asn] (4-octet, both sides negotiate it), NEXT_HOP `nh`. */
function attrs(asn: number, nh: string, withOrigin = true): number[] {
  const ip = nh.split(".").map(Number);
  return [
    ...(withOrigin ? [0x40, 1, 1, 0] : []),
    ...[0x40, 2, 6, 2, 1, (asn >>> 24) & 0xff, (asn >>> 16) & 0xff, (asn >>> 8) & 0xff, asn & 0xff],
    ...[0x40, 3, 4, ...ip],
  ];
}

/** UPDATE body: no withdrawn routes, the attributes, then the NLRI bytes. */
function update(attributes: number[], nlri: number[]): Uint8Array {
  return frame(2, [0, 0, attributes.length >> 8, attributes.length & 0xff, ...attributes, ...nlri]);
}

function open(
  asn: number,
  holdTime: number,
  address: string,
  version = 4,
  extra: Capability[] = [],
): Uint8Array {
  const m: OpenMessage = {
    type: "OPEN",
    version,
    myAs: asn > 65535 ? 23456 : asn,
    holdTime,
    bgpId: IpAddress.parse(address)!,
    parameters: [[{ code: 1, afi: 1, safi: 1 }, { code: 2 }, { code: 65, asn }, ...extra]],
  };
  return encodeMessage(m, DEFAULT_CONTEXT);
}

const KEEPALIVE = frame(4, []);

class Connection {
  readonly received: Message[] = [];
  private waiters: { pred: (m: Message) => boolean; resolve: () => void }[] = [];
  private readonly framer = new Framer();
  private readonly t0 = Date.now();
  closed = false;
  readonly socket: Socket;
  readonly address: string;
  readonly conn: number;
  readonly log: (e: PeerEvent) => void;

  constructor(socket: Socket, address: string, conn: number, log: (e: PeerEvent) => void) {
    this.socket = socket;
    this.address = address;
    this.conn = conn;
    this.log = log;
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("error", () => {});
    socket.on("close", () => {
      this.closed = true;
      this.emit({ event: "closed" });
      for (const w of this.waiters) w.resolve();
      this.waiters = [];
    });
  }

  emit(e: PeerEvent): void {
    const at = Date.now();
    this.log({ address: this.address, conn: this.conn, at, ms: at - this.t0, ...e });
  }

  private onData(chunk: Buffer): void {
    const { frames, error } = this.framer.push(chunk);
    for (const f of frames) {
      const r = decodeMessage(f, { ...DEFAULT_CONTEXT, extendedMessage: true });
      if (!r.ok) {
        this.emit({ event: "received", what: "undecodable", raw: hex(f) });
        continue;
      }
      const m = r.value;
      this.received.push(m);
      const e: PeerEvent = { event: "received", what: m.type };
      if (m.type === "NOTIFICATION")
        Object.assign(e, { code: m.code, subcode: m.subcode, data: hex(m.data) });
      if (m.type === "UPDATE" && endOfRibOf(m) !== undefined) e.eor = true;
      this.emit(e);
      this.waiters = this.waiters.filter((w) => {
        if (!w.pred(m)) return true;
        w.resolve();
        return false;
      });
    }
    if (error) this.emit({ event: "received", what: "bad-header", code: error.code, subcode: error.subcode });
  }

  /** Resolves when a message matching `pred` arrived (or already has), or the socket closed. */
  until(pred: (m: Message) => boolean): Promise<void> {
    if (this.closed || this.received.some(pred)) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ pred, resolve }));
  }

  send(what: string, bytes: Uint8Array): void {
    if (this.closed) return;
    this.socket.write(bytes);
    this.emit({ event: "sent", what });
  }
}

async function play(c: Connection, name: Case, plan: Plan, localAddress: string) {
  const { asn, holdTime } = plan;
  await c.until((m) => m.type === "OPEN");
  // Cases that break the OPEN exchange.
  switch (name) {
    case "open-bad-version":
      return c.send("OPEN version 3", open(asn, holdTime, localAddress, 3));
    case "open-bad-as":
      return c.send(`OPEN from AS ${asn + 99}`, open(asn + 99, holdTime, localAddress));
    case "open-bad-id":
      return c.send("OPEN with BGP Identifier 0.0.0.0", open(asn, holdTime, "0.0.0.0"));
    case "open-hold-1":
      return c.send("OPEN hold time 1", open(asn, 1, localAddress));
    case "open-short":
      // Version, My AS, Hold Time, BGP Identifier and no Opt Parm Len: 28 octets.
      return c.send("OPEN of 28 octets", frame(1, [4, asn >> 8, asn & 0xff, 0, holdTime, 10, 0, 0, 1]));
    case "open-unsupported-param":
      // Optional parameter type 1 (the old authentication information), 2 octets.
      return c.send(
        "OPEN with optional parameter type 1",
        frame(1, [4, asn >> 8, asn & 0xff, 0, holdTime, 10, 0, 0, 1, 4, 1, 2, 0, 0]),
      );
    case "update-in-opensent":
      // No OPEN from us: the speaker is still in OpenSent. An End-of-RIB is a valid UPDATE.
      return c.send("UPDATE in OpenSent", frame(2, [0, 0, 0, 0]));
    case "keepalive-in-opensent":
      return c.send("KEEPALIVE in OpenSent", KEEPALIVE);
    case "open-in-openconfirm":
      // Our OPEN puts the speaker in OpenConfirm; a second OPEN on the same connection is
      // no collision, just an unexpected message.
      c.send("OPEN", open(asn, holdTime, localAddress));
      await c.until((m) => m.type === "KEEPALIVE");
      return c.send("second OPEN in OpenConfirm", open(asn, holdTime, localAddress));
  }
  // Enhanced route refresh (70) where the case needs it; an unassigned capability (0x99) that
  // the speaker must ignore (RFC 5492 §4); hold time 0: no keepalives either way (§4.2).
  const extra: Capability[] =
    name === "route-refresh-bad-length"
      ? [{ code: 70 }]
      : name === "open-unknown-capability"
        ? [{ code: 0x99, value: Uint8Array.of(1, 2, 3), unknown: true }]
        : [];
  c.send("OPEN", open(asn, name === "open-hold-0" ? 0 : holdTime, localAddress, 4, extra));
  c.send("KEEPALIVE", KEEPALIVE);
  // Established on the speaker's side once it sends its initial table and End-of-RIB.
  await c.until((m) => m.type === "UPDATE" && endOfRibOf(m) !== undefined);
  const nlri1 = [32, 10, 99, 0, 1];
  switch (name) {
    case "bad-marker": {
      const k = KEEPALIVE.slice();
      k[0] = 0xfe;
      return c.send("KEEPALIVE with marker byte 0xfe", k);
    }
    case "bad-length": {
      // Only the header: the speaker must refuse the length before waiting for 5000 octets.
      const h = frame(2, []);
      h[16] = 5000 >> 8;
      h[17] = 5000 & 0xff;
      return c.send("UPDATE header with length 5000", h);
    }
    case "keepalive-length":
      return c.send("KEEPALIVE of 20 octets", frame(4, [0]));
    case "bad-type":
      return c.send("message type 9", frame(9, []));
    case "update-withdrawn-overrun":
      return c.send("UPDATE withdrawn length 100 with 4 octets", frame(2, [0, 100, 24, 10, 99, 1]));
    case "update-bad-prefix-length":
      return c.send("UPDATE NLRI /33", update(attrs(asn, localAddress), [33, 10, 99, 0, 1, 0]));
    case "update-unknown-well-known":
      return c.send(
        "UPDATE with well-known attribute 99",
        update([...attrs(asn, localAddress), 0x40, 99, 2, 0xab, 0xcd], nlri1),
      );
    case "update-short":
      return c.send("UPDATE of 22 octets", frame(2, [0, 0, 0]));
    case "update-duplicate-mp-reach": {
      // MP_REACH_NLRI for IPv4 unicast, twice (RFC 7606 §3 (g): session reset).
      const ip = localAddress.split(".").map(Number);
      const mp = [0x80, 14, 14, 0, 1, 1, 4, ...ip, 0, 32, 10, 99, 0, 3];
      return c.send(
        "UPDATE with MP_REACH_NLRI twice",
        update([...attrs(asn, localAddress), ...mp, ...mp], []),
      );
    }
    case "update-missing-origin":
    case "update-origin-flags": {
      // 10.99.0.1 arrives, then a broken UPDATE for it (treat-as-withdraw takes it away
      // again), then 10.99.0.2: the speaker should count one received prefix, not two.
      c.send("UPDATE for 10.99.0.1/32", update(attrs(asn, localAddress), nlri1));
      if (name === "update-missing-origin")
        c.send("UPDATE without ORIGIN for 10.99.0.1/32", update(attrs(asn, localAddress, false), nlri1));
      else {
        const a = attrs(asn, localAddress);
        a[0] = 0xc0; // ORIGIN flagged optional transitive: an attribute flags error
        c.send("UPDATE with ORIGIN flags 0xc0 for 10.99.0.1/32", update(a, nlri1));
      }
      c.send("UPDATE for 10.99.0.2/32", update(attrs(asn, localAddress), [32, 10, 99, 0, 2]));
      return keepalives(c);
    }
    case "max-prefix": {
      // 10,001 /32s (the speaker's guard is 10,000), 800 per UPDATE.
      const all: number[][] = [];
      for (let i = 0; i < 10_001; i++) all.push([32, 10, 98, i >> 8, i & 0xff]);
      for (let i = 0; i < all.length; i += 800)
        c.socket.write(update(attrs(asn, localAddress), all.slice(i, i + 800).flat()));
      c.emit({ event: "sent", what: "10001 prefixes" });
      return keepalives(c);
    }
    case "route-refresh-bad-length":
      // A BoRR (subtype 1) with a 5-octet body instead of 4.
      return c.send("BoRR of 24 octets", frame(5, [0, 1, 1, 1, 0]));
    case "open-unknown-capability":
      return healthyEnd(c, asn);
    case "open-hold-0":
      // No keepalives from us: with hold time 0 there is no hold timer on either side.
      c.send("UPDATE for 10.99.0.2/32", update(attrs(asn, localAddress), [32, 10, 99, 0, 2]));
      return;
    case "update-byte-by-byte": {
      // One valid UPDATE, one octet per TCP segment (no Nagle): the speaker's framer must
      // reassemble it.
      const u = update(attrs(asn, localAddress), [32, 10, 99, 0, 2]);
      for (const b of u) {
        if (c.closed) return;
        c.socket.write(Uint8Array.of(b));
        await new Promise((r) => setTimeout(r, 2));
      }
      c.emit({ event: "sent", what: "UPDATE for 10.99.0.2/32" });
      return keepalives(c);
    }
    case "open-in-established":
      return c.send("OPEN in Established", open(asn, holdTime, localAddress));
    case "notification": {
      const text = new TextEncoder().encode("scripted peer says goodbye");
      return c.send("NOTIFICATION 6/2", frame(3, [6, 2, text.length, ...text]));
    }
  }
}

/** Ends a case that keeps the session: one prefix (10.99.0.2) announced, keepalives. */
function healthyEnd(c: Connection, asn: number): void {
  c.send("UPDATE for 10.99.0.2/32", update(attrs(asn, c.address), [32, 10, 99, 0, 2]));
  keepalives(c);
}

/** A healthy peer: OPEN, then KEEPALIVE every second. */
async function healthy(c: Connection, plan: Plan, localAddress: string): Promise<void> {
  await c.until((m) => m.type === "OPEN");
  c.send("OPEN", open(plan.asn, plan.holdTime, localAddress));
  c.send("KEEPALIVE", KEEPALIVE);
  keepalives(c);
}

function keepalives(c: Connection): void {
  const timer = setInterval(() => {
    if (c.closed) clearInterval(timer);
    else c.socket.write(KEEPALIVE);
  }, 1000);
}

function main(): void {
  const [planFile, eventsFile] = process.argv.slice(2);
  if (!planFile || !eventsFile) {
    process.stderr.write("usage: scripted-peer.ts PLAN.json EVENTS.jsonl\n");
    process.exit(2);
  }
  const plan = JSON.parse(readFileSync(planFile, "utf8")) as Plan;
  const log = (e: PeerEvent) => appendFileSync(eventsFile, `${JSON.stringify(e)}\n`);
  let listening = 0;
  for (const { address, case: name } of plan.cases) {
    let conns = 0;
    const server = createServer({ noDelay: true }, (socket) => {
      const n = ++conns;
      const c = new Connection(socket, address, n, log);
      c.emit({ event: "connected", what: `${socket.remoteAddress}:${socket.remotePort}` });
      const run = n === 1 ? play(c, name, plan, address) : healthy(c, plan, address);
      run.catch((e: unknown) => c.emit({ event: "error", what: String(e) }));
    });
    server.listen({ host: address, port: 179 }, () => {
      if (++listening === plan.cases.length) log({ event: "ready" });
    });
  }
  process.on("SIGTERM", () => process.exit(0));
}

if (import.meta.main) main();
