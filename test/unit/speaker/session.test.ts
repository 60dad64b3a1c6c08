/**
 * BgpSession over real TCP on loopback: two of our sessions, or one session and a scripted
 * peer built from the codec. Timers are real but short (hold time 3 s where it matters).
 */
import assert from "node:assert/strict";
import { createServer, type Server, type Socket } from "node:net";
import { after, describe, test } from "node:test";
import {
  DEFAULT_CONTEXT,
  decodeMessage,
  encodeMessage,
  Framer,
  KEEPALIVE,
  type Message,
  type OpenMessage,
} from "../../../protocol/bgp/index.ts";
import { IpAddress, Prefix } from "../../../protocol/ip/index.ts";
import {
  BgpListener,
  BgpSession,
  route,
  routeAttributes,
  type SessionConfig,
  type SessionEvent,
} from "../../../src/speaker/bgp/index.ts";

const A = IpAddress.of("127.0.0.11");
const B = IpAddress.of("127.0.0.12");

function config(
  local: IpAddress,
  peer: IpAddress,
  port: number,
  over: Partial<SessionConfig> = {},
): SessionConfig {
  return {
    peerAddress: peer,
    peerPort: port,
    peerAs: 65000,
    localAs: 65001,
    routerId: local,
    sourceAddress: local,
    holdTime: 9,
    connectRetryTime: 1,
    passive: false,
    maxPrefixes: 100_000,
    extendedMessage: true,
    ...over,
  };
}

async function waitFor<T>(what: string, fn: () => T | undefined | false, timeoutMs = 8000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const ads = routeAttributes({ communities: [0xfde80064] });
const hosts = (n: number) =>
  Array.from({ length: n }, (_, i) => route(new Prefix(4, 32, 0x64400000 + i), ads));

const cleanups: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

/** A pair: `a` connects actively to `b`, which listens. */
async function pair(aOver: Partial<SessionConfig> = {}, bOver: Partial<SessionConfig> = {}) {
  const events: SessionEvent[] = [];
  let b: BgpSession | undefined;
  const listener = new BgpListener({ lookup: (r) => (r.equals(A) ? b : undefined) });
  const port = await listener.listen(0, B.toString());
  b = new BgpSession(config(B, A, 0, { localAs: 65000, peerAs: 65001, passive: true, ...bOver }));
  const a = new BgpSession(config(A, B, port, aOver), { onEvent: (e) => events.push(e) });
  cleanups.push(async () => {
    await a.stop({ timeoutMs: 500 });
    await b!.stop({ timeoutMs: 500 });
    await listener.close();
  });
  b.start();
  a.start();
  return { a, b: b!, listener, events, port };
}

describe("two signalbox sessions on loopback", () => {
  test("reach Established, send the table and End-of-RIB, then only differences", async () => {
    const { a, b } = await pair();
    a.setRoutes(hosts(2000));
    await waitFor("Established", () => a.established && b.established);
    await waitFor("2000 prefixes at b", () => b.status().prefixes.received === 2000);
    const sa = a.status();
    assert.equal(sa.prefixes.advertised.ipv4, 2000);
    assert.equal(sa.capabilities?.extendedMessage, true);
    assert.equal(sa.capabilities?.fourOctetAs, true);
    assert.deepEqual(sa.capabilities?.families, ["ipv4-unicast", "ipv6-unicast"]);
    assert.ok(
      sa.messages.sent.update <= 3,
      `2000 /32 fit in 1 extended UPDATE + EoRs, sent ${sa.messages.sent.update}`,
    );
    const before = a.status().messages.sent.update;
    a.setRoutes(hosts(1500));
    await waitFor("withdrawal of 500", () => b.status().prefixes.received === 1500);
    assert.equal(a.status().messages.sent.update - before, 1, "one UPDATE carries the 500 withdrawals");
  });

  test("stop sends Cease with the shutdown communication; the peer records it", async () => {
    const events: SessionEvent[] = [];
    let b: BgpSession | undefined;
    const listener = new BgpListener({ lookup: () => b });
    const port = await listener.listen(0, B.toString());
    b = new BgpSession(config(B, A, 0, { localAs: 65000, peerAs: 65001, passive: true }), {
      onEvent: (e) => events.push(e),
    });
    const a = new BgpSession(config(A, B, port));
    cleanups.push(async () => {
      await b!.stop({ timeoutMs: 500 });
      await listener.close();
    });
    b.start();
    a.start();
    await waitFor("Established", () => a.established && b!.established);
    await a.stop({ text: "node drained for maintenance" });
    const got = await waitFor("NOTIFICATION at b", () =>
      events.find((e) => e.type === "notificationReceived"),
    );
    assert.ok(got.type === "notificationReceived");
    assert.equal(got.code, 6);
    assert.equal(got.subcode, 2);
    assert.match(got.text, /node drained for maintenance/);
    assert.equal(b.status().lastError?.kind, "notification-received");
    // Counted by code/subcode for signalbox_bgp_notifications.
    assert.deepEqual(b.status().notifications.received, { "6/2": 1 });
    assert.deepEqual(a.status().notifications.sent, { "6/2": 1 });
    assert.equal(a.state, "Idle");
  });

  test("collision: both sides connect at once; the connection opened by the higher BGP Identifier survives", async () => {
    let a: BgpSession | undefined;
    let b: BgpSession | undefined;
    const la = new BgpListener({ lookup: () => a });
    const lb = new BgpListener({ lookup: () => b });
    const pa = await la.listen(0, A.toString());
    const pb = await lb.listen(0, B.toString());
    // a = 127.0.0.11 < b = 127.0.0.12: b's own connection must win.
    a = new BgpSession(config(A, B, pb, { connectRetryTime: 1 }));
    b = new BgpSession(config(B, A, pa, { localAs: 65000, peerAs: 65001, connectRetryTime: 1 }));
    cleanups.push(async () => {
      await a!.stop({ timeoutMs: 500 });
      await b!.stop({ timeoutMs: 500 });
      await la.close();
      await lb.close();
    });
    a.start();
    b.start();
    await waitFor("Established", () => a!.established && b!.established);
    await new Promise((r) => setTimeout(r, 300));
    assert.ok(a.established && b.established, "exactly one session stays up");
    assert.equal(b.status().connection?.initiatedBy, "us");
    assert.equal(a.status().connection?.initiatedBy, "peer");
  });
});

/** A scripted peer: accepts one connection and lets the test drive it message by message. */
const peerSockets: Socket[] = [];

async function scriptedPeer(onMessage: (m: Message | string, sock: Socket) => void) {
  const server: Server = createServer((sock) => {
    peerSockets.push(sock);
    const f = new Framer({ extendedMessage: false });
    sock.on("data", (c) => {
      const { frames, error } = f.push(c);
      for (const fr of frames) {
        const r = decodeMessage(fr, DEFAULT_CONTEXT);
        onMessage(r.ok ? r.value : `error ${r.error.code}/${r.error.subcode}`, sock);
      }
      if (error) onMessage(`framing ${error.code}/${error.subcode}`, sock);
    });
    sock.on("error", () => {});
  });
  await new Promise<void>((r) => server.listen(0, B.toString(), r));
  const port = (server.address() as { port: number }).port;
  cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
  return port;
}

const peerOpen = (holdTime: number): OpenMessage => ({
  type: "OPEN",
  version: 4,
  myAs: 65000,
  holdTime,
  bgpId: B,
  parameters: [
    [
      { code: 1, afi: 1, safi: 1 },
      { code: 65, asn: 65000 },
    ],
  ],
});

describe("against a scripted peer", () => {
  test("a silent peer is detected by the hold timer: NOTIFICATION 4/0", async () => {
    const seen: (Message | string)[] = [];
    const port = await scriptedPeer((m, sock) => {
      seen.push(m);
      if (typeof m !== "string" && m.type === "OPEN")
        sock.write(Buffer.concat([encodeMessage(peerOpen(3), DEFAULT_CONTEXT), KEEPALIVE]));
      // ...and then never another KEEPALIVE.
    });
    const a = new BgpSession(config(A, B, port, { holdTime: 3 }));
    cleanups.push(() => a.stop({ timeoutMs: 200 }));
    a.start();
    await waitFor("Established", () => a.established);
    const t0 = Date.now();
    await waitFor(
      "hold timer expiry",
      () => seen.find((m) => typeof m !== "string" && m.type === "NOTIFICATION"),
      6000,
    );
    const elapsed = (Date.now() - t0) / 1000;
    const n = seen.find((m) => typeof m !== "string" && m.type === "NOTIFICATION");
    assert.ok(n && typeof n !== "string" && n.type === "NOTIFICATION" && n.code === 4);
    assert.ok(elapsed > 1.5 && elapsed < 4.5, `expired after ${elapsed}s`);
    assert.equal(a.status().lastError?.code, 4);
  });

  test("a malformed UPDATE resets only that session with the right NOTIFICATION", async () => {
    const seen: (Message | string)[] = [];
    const port = await scriptedPeer((m, sock) => {
      seen.push(m);
      if (typeof m !== "string" && m.type === "OPEN")
        sock.write(Buffer.concat([encodeMessage(peerOpen(90), DEFAULT_CONTEXT), KEEPALIVE]));
      if (typeof m !== "string" && m.type === "KEEPALIVE" && !seen.some((x) => x === "sent-bad")) {
        seen.push("sent-bad");
        // UPDATE whose withdrawn-routes length overruns the message: 3/1 session reset.
        const bad = Buffer.from("ffffffffffffffffffffffffffffffff0017020010" + "0000", "hex");
        sock.write(bad);
      }
    });
    const a = new BgpSession(config(A, B, port));
    cleanups.push(() => a.stop({ timeoutMs: 200 }));
    a.start();
    const n = await waitFor("NOTIFICATION", () =>
      seen.find((m) => typeof m !== "string" && m.type === "NOTIFICATION"),
    );
    assert.ok(typeof n !== "string" && n.type === "NOTIFICATION");
    assert.deepEqual([n.code, n.subcode], [3, 1]);
    assert.equal(a.status().lastError?.kind, "notification-sent");
    assert.deepEqual(a.status().notifications.sent, { "3/1": 1 });
    await waitFor("restart attempt", () => a.state !== "Idle", 5000);
  });

  test("ROUTE-REFRESH is answered from the Adj-RIB-Out, bracketed by BoRR/EoRR when enhanced", async () => {
    const seen: (Message | string)[] = [];
    // This test's own connection (peerSockets is shared: a session of an earlier test may
    // still reconnect to its peer while this one runs).
    let mine: Socket | undefined;
    const port = await scriptedPeer((m, sock) => {
      seen.push(m);
      if (typeof m !== "string" && m.type === "OPEN") {
        mine = sock;
        const open = peerOpen(90);
        const caps = [...open.parameters[0]!, { code: 2 as const }, { code: 70 as const }];
        sock.write(
          Buffer.concat([encodeMessage({ ...open, parameters: [caps] }, DEFAULT_CONTEXT), KEEPALIVE]),
        );
      }
    });
    const a = new BgpSession(config(A, B, port));
    cleanups.push(() => a.stop({ timeoutMs: 200 }));
    a.setRoutes(hosts(3));
    a.start();
    await waitFor(
      "initial table and End-of-RIB",
      () => seen.filter((m) => typeof m !== "string" && m.type === "UPDATE").length >= 2,
    );
    const before = seen.length;
    assert.ok(a.established);
    const request = encodeMessage({ type: "ROUTE-REFRESH", afi: 1, subtype: 0, safi: 1 }, DEFAULT_CONTEXT);
    mine!.write(request);
    await waitFor("EoRR", () =>
      seen.slice(before).find((m) => typeof m !== "string" && m.type === "ROUTE-REFRESH" && m.subtype === 2),
    );
    const replay = seen.slice(before).filter((m) => typeof m !== "string");
    assert.deepEqual(
      replay.map((m) => (typeof m === "string" ? m : m.type === "ROUTE-REFRESH" ? `RR${m.subtype}` : m.type)),
      ["RR1", "UPDATE", "RR2"],
    );
    const u = replay[1];
    assert.ok(u !== undefined && typeof u !== "string" && u.type === "UPDATE");
    assert.equal(u.nlri.length, 3);
  });

  test("more prefixes than max-prefixes → Cease/1 with AFI, SAFI and the limit", async () => {
    const seen: (Message | string)[] = [];
    const port = await scriptedPeer((m, sock) => {
      seen.push(m);
      if (typeof m !== "string" && m.type === "OPEN") {
        sock.write(Buffer.concat([encodeMessage(peerOpen(90), DEFAULT_CONTEXT), KEEPALIVE]));
      }
      if (typeof m !== "string" && m.type === "KEEPALIVE" && !seen.includes("flooded")) {
        seen.push("flooded");
        const routes = Array.from({ length: 20 }, (_, i) => new Prefix(4, 32, 0x0a000000 + i));
        sock.write(
          encodeMessage(
            {
              type: "UPDATE",
              withdrawn: [],
              nlri: routes,
              attributes: [
                { typeCode: 1, flags: 0x40, origin: 0 },
                { typeCode: 2, flags: 0x40, segments: [{ type: 2, asns: [65000] }] },
                { typeCode: 3, flags: 0x40, nextHop: B },
              ],
            },
            { ...DEFAULT_CONTEXT },
          ),
        );
      }
    });
    const a = new BgpSession(config(A, B, port, { maxPrefixes: 10 }));
    cleanups.push(() => a.stop({ timeoutMs: 200 }));
    a.start();
    const n = await waitFor("Cease", () =>
      seen.find((m) => typeof m !== "string" && m.type === "NOTIFICATION"),
    );
    assert.ok(typeof n !== "string" && n.type === "NOTIFICATION");
    assert.deepEqual([n.code, n.subcode, Buffer.from(n.data).toString("hex")], [6, 1, "0001010000000a"]);
  });
});
