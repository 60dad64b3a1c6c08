/**
 * Sessions with TCP MD5 (RFC 2385) and the native door: two of our sessions on loopback with
 * the real addon (skipped when it is not built, unless CI=true), and the failure paths with
 * the fake. The password never shows in status, events or errors.
 */
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { inspect } from "node:util";
import { IpAddress } from "../../../protocol/ip/index.ts";
import { Secret } from "../../../src/config/secret.ts";
import { NetsysUnavailableError, netsysAvailable } from "../../../src/platform/netsys.ts";
import { FakeNetsys } from "../../../src/platform/netsys-fake.ts";
import {
  BgpListener,
  BgpSession,
  type SessionConfig,
  type SessionEvent,
} from "../../../src/speaker/bgp/index.ts";

const A = IpAddress.of("127.0.0.21");
const B = IpAddress.of("127.0.0.22");
const KEY = "Tr0ub4dor-S3cret";

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
    maxPrefixes: 1000,
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
    await new Promise((r) => setTimeout(r, 20));
  }
}

const cleanups: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

/** Everything a session shows the outside: status (JSON and inspect) and events. */
function shown(s: BgpSession, events: SessionEvent[]): string {
  return [
    JSON.stringify(s.status()),
    inspect(s.status(), { depth: 10 }),
    JSON.stringify(events),
    inspect(s.config),
  ].join("\n");
}

/** `a` connects to `b`'s listener; the listener holds `listenerKey` for `a`. */
async function pair(aKey: string | undefined, listenerKey: string | undefined) {
  const events: SessionEvent[] = [];
  const rejected: string[] = [];
  let b: BgpSession | undefined;
  const listener = new BgpListener({
    lookup: (r) => (r.equals(A) ? b : undefined),
    onReject: (r) => rejected.push(r),
  });
  const port = await listener.listen(0, B.toString());
  b = new BgpSession(
    config(B, A, 0, {
      localAs: 65000,
      peerAs: 65001,
      passive: true,
      ...(listenerKey ? { password: new Secret(listenerKey) } : {}),
    }),
  );
  const problems = listener.setPeers([b.config]);
  const a = new BgpSession(config(A, B, port, aKey ? { password: new Secret(aKey) } : {}), {
    onEvent: (e) => events.push(e),
  });
  cleanups.push(async () => {
    await a.stop({ timeoutMs: 300 });
    await b!.stop({ timeoutMs: 300 });
    await listener.close();
  });
  b.start();
  a.start();
  return { a, b, listener, events, rejected, problems };
}

const skip =
  !netsysAvailable() && process.env["CI"] !== "true"
    ? "native addon not built (npm run build:native)"
    : false;

describe("TCP MD5 between two of our sessions on loopback", { skip }, () => {
  test("the same key on both sides: Established; status says MD5, never the key", async () => {
    const { a, b, events, problems } = await pair(KEY, KEY);
    assert.deepEqual(problems, []);
    await waitFor("Established", () => a.established && b.established);
    assert.deepEqual(a.status().transport, { md5: true, ttlSecurity: false });
    assert.equal(b.status().transport.md5, true);
    assert.ok(!shown(a, events).includes(KEY));
  });

  test("a wrong key never reaches Established; status says why, without either key", async () => {
    const { a, b, events } = await pair("wrong-key", KEY);
    const p = await waitFor("a transport problem", () => a.status().transport.problem, 6000);
    assert.match(p, /TCP MD5 is on/);
    assert.match(p, /check the password on both sides/);
    assert.equal(a.established || b.established, false);
    assert.ok(a.status().messages.sent.open === 0, "no OPEN ever left");
    // b, passive, never hears of a's connections: the kernel drops them. Its status says so.
    const pb = await waitFor("b's transport problem", () => b.status().transport.problem, 6000);
    assert.match(pb, /waiting for 127\.0\.0\.21 to connect \(passive\); TCP MD5 is on/);
    const text = shown(a, events);
    assert.ok(!text.includes(KEY) && !text.includes("wrong-key"), text);
  });

  test("a password peer is refused over a connection the listener took without its key", async () => {
    // b expects MD5 from a, but the listener has no key (b's password is set after setPeers).
    const { a, rejected } = await pair(undefined, undefined);
    const bWithKey = new BgpSession(config(B, A, 0, { passive: true, password: new Secret(KEY) }));
    const listener = new BgpListener({ lookup: () => bWithKey, onReject: (r) => rejected.push(r) });
    const port = await listener.listen(0, "127.0.0.23");
    cleanups.push(() => listener.close());
    const plain = new BgpSession(config(A, IpAddress.of("127.0.0.23"), port));
    cleanups.push(() => plain.stop({ timeoutMs: 300 }));
    plain.start();
    await waitFor("rejection", () => rejected.find((r) => r.includes("no TCP MD5 key")));
    assert.equal(plain.established, false);
    await a.stop({ timeoutMs: 300 });
  });
});

describe("failures of the native door become status, with the fake", () => {
  test("bind to device refused (EPERM): the problem is in status, no socket is left open", async () => {
    const sys = new FakeNetsys();
    sys.addInterface("eth0", new Uint8Array(6));
    sys.bindToDeviceAllowed = false;
    const s = new BgpSession(config(A, B, 179, { device: "eth0", password: new Secret(KEY) }), {
      netsys: () => sys,
    });
    cleanups.push(() => s.stop({ timeoutMs: 100 }));
    s.start();
    const p = await waitFor("problem", () => s.status().transport.problem);
    assert.match(p, /cannot open the TCP connection: .*EPERM/);
    assert.deepEqual(s.status().transport.device, "eth0");
    assert.deepEqual(sys.openTcpSockets(), []);
    assert.ok(!JSON.stringify(s.status()).includes(KEY));
  });

  test("no addon: the problem names the build command", async () => {
    const s = new BgpSession(config(A, B, 179, { password: new Secret(KEY) }), {
      netsys: () => {
        throw new NetsysUnavailableError("native addon not built; run `npm run build:native`", "ENOADDON");
      },
    });
    cleanups.push(() => s.stop({ timeoutMs: 100 }));
    s.start();
    const p = await waitFor("problem", () => s.status().transport.problem);
    assert.match(p, /npm run build:native/);
  });

  test("a listener without the addon reports each password peer, never the password", async () => {
    const listener = new BgpListener({ lookup: () => undefined, netsys: null });
    await listener.listen(0, "127.0.0.24");
    cleanups.push(() => listener.close());
    assert.equal(listener.md5Capable, false);
    const problems = listener.setPeers([{ peerAddress: A, password: new Secret(KEY) }, { peerAddress: B }]);
    assert.equal(problems.length, 1);
    assert.match(problems[0]!, /127\.0\.0\.21.*only our own connections/);
    assert.ok(!problems[0]!.includes(KEY));
  });

  test("listener keys follow the peers: set, changed, removed", async () => {
    const sys = new FakeNetsys();
    let fd = -1;
    const listener = new BgpListener({
      lookup: () => undefined,
      netsys: sys,
      // The fake's fd cannot go to node:net: a fake socket for the keys, a real one for Node.
      listenNative: (fake, server) => {
        fd = fake.tcpSocket(6);
        return new Promise((resolve) => server.listen(0, "127.0.0.25", () => resolve(fd)));
      },
    });
    await listener.listen(0, "127.0.0.25");
    cleanups.push(() => listener.close());
    assert.equal(listener.md5Capable, true);
    const keys = () => Object.fromEntries(sys.tcpSocketOf(fd).md5);
    assert.deepEqual(
      listener.setPeers([{ peerAddress: A, password: new Secret(KEY) }, { peerAddress: B }]),
      [],
    );
    assert.deepEqual(keys(), { "127.0.0.21": KEY });
    listener.setPeers([
      { peerAddress: A, password: new Secret("new") },
      { peerAddress: B, password: new Secret("b") },
    ]);
    assert.deepEqual(keys(), { "127.0.0.21": "new", "127.0.0.22": "b" });
    listener.setPeers([{ peerAddress: B, password: new Secret("b") }]);
    assert.deepEqual(keys(), { "127.0.0.22": "b" });
    // A GTSM peer: the listener sends SYN-ACKs with TTL 255 and saves SYNs for the check at accept.
    const c = sys.constants;
    listener.setPeers([{ peerAddress: B, password: new Secret("b"), ttlSecurity: true }]);
    const opts = sys.tcpSocketOf(fd).options;
    assert.equal(opts.get(`${c.IPPROTO_IP}:${c.IP_TTL}`), 255);
    assert.equal(opts.get(`${c.IPPROTO_IPV6}:${c.IPV6_UNICAST_HOPS}`), 255);
    assert.equal(opts.get(`${c.IPPROTO_TCP}:${c.TCP_SAVE_SYN}`), 1);
    listener.setPeers([{ peerAddress: B, password: new Secret("b") }]);
    assert.equal(opts.get(`${c.IPPROTO_IP}:${c.IP_TTL}`), -1, "back to the system default");
    assert.equal(opts.get(`${c.IPPROTO_TCP}:${c.TCP_SAVE_SYN}`), 0);
    sys.md5Supported = false;
    const problems = listener.setPeers([{ peerAddress: A, password: new Secret(KEY) }]);
    assert.equal(problems.length, 2, problems.join("\n"));
    assert.ok(problems.every((p) => !p.includes(KEY)));
  });
});
