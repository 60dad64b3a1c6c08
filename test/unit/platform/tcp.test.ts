/**
 * TCP sockets for BGP (src/platform/tcp.ts): with the fake, the order of options and the
 * typed errors; with the real addon (skipped when it is not built, unless CI=true), TCP MD5
 * and GTSM on loopback: a matching key connects, a wrong or missing one never does.
 */
import assert from "node:assert/strict";
import { createServer, type Server, type Socket } from "node:net";
import { describe, test } from "node:test";
import { IpAddress } from "../../../protocol/ip/index.ts";
import { Secret } from "../../../src/config/secret.ts";
import {
  AddressInUseError,
  AddressNotAvailableError,
  LINUX_CONSTANTS,
  loadNetsysBinding,
  NetsysPermissionError,
  NoSuchInterfaceError,
  netsysAvailable,
  OptionUnsupportedError,
  realNetsys,
  SystemCallError,
} from "../../../src/platform/netsys.ts";
import { FakeNetsys } from "../../../src/platform/netsys-fake.ts";
import {
  applyTtlSecurity,
  checkAcceptedTtl,
  connectTcp,
  listenTcp,
  needsNativeSocket,
  openConnectingSocket,
  removeTcpMd5,
  saveSyns,
  socketFd,
} from "../../../src/platform/tcp.ts";

const PEER4 = IpAddress.of("10.0.0.1");
const PEER6 = IpAddress.of("fd00::1");
const KEY = "Tr0ub4dor-S3cret";

function fake(): FakeNetsys {
  const sys = new FakeNetsys();
  sys.addInterface("eth0", new Uint8Array(6));
  return sys;
}

describe("with the fake", () => {
  test("needsNativeSocket: only for MD5, GTSM or a device", () => {
    assert.equal(needsNativeSocket({}), false);
    assert.equal(needsNativeSocket({ md5Key: new Secret("k") }), true);
    assert.equal(needsNativeSocket({ ttlSecurity: true }), true);
    assert.equal(needsNativeSocket({ ttlSecurity: false }), false);
    assert.equal(needsNativeSocket({ device: "eth0" }), true);
  });

  test("an active socket gets device, key, GTSM and source address before anything is sent", () => {
    const sys = fake();
    const fd = openConnectingSocket(sys, {
      peer: PEER4,
      port: 179,
      md5Key: new Secret(KEY),
      ttlSecurity: true,
      device: "eth0",
      localAddress: IpAddress.of("10.0.0.2"),
    });
    assert.deepEqual(sys.tcpCalls, [
      `socket 4 → ${fd}`,
      `setsockopt ${fd} SO_BINDTODEVICE eth0`,
      `md5 ${fd} 10.0.0.1 set`,
      `setsockopt ${fd} IP_TTL 255`,
      `setsockopt ${fd} IP_MINTTL 255`,
      `bind ${fd} 10.0.0.2:0`,
    ]);
    const s = sys.tcpSocketOf(fd);
    assert.equal(s.md5.get("10.0.0.1"), KEY);
    assert.equal(s.device, "eth0");
    assert.ok(!sys.tcpCalls.join("\n").includes(KEY), "the call log never holds the key");
  });

  test("GTSM for an IPv6 peer uses the hop limit options", () => {
    const sys = fake();
    const fd = openConnectingSocket(sys, { peer: PEER6, port: 179, ttlSecurity: true });
    assert.deepEqual(sys.tcpCalls.slice(1), [
      `setsockopt ${fd} IPV6_UNICAST_HOPS 255`,
      `setsockopt ${fd} IPV6_MINHOPCOUNT 255`,
    ]);
    // An IPv4 peer on an IPv6 (dual-stack, accepted) socket: the IPv4 options.
    const fd6 = sys.tcpSocket(6);
    applyTtlSecurity(sys, fd6, 4);
    assert.equal(
      sys.tcpSocketOf(fd6).options.get(`${LINUX_CONSTANTS.IPPROTO_IP}:${LINUX_CONSTANTS.IP_MINTTL}`),
      255,
    );
  });

  test("typed errors, and the socket is closed whatever step fails", () => {
    const sys = fake();
    assert.throws(
      () => openConnectingSocket(sys, { peer: PEER4, port: 179, device: "nope0" }),
      NoSuchInterfaceError,
    );
    sys.bindToDeviceAllowed = false;
    assert.throws(
      () => openConnectingSocket(sys, { peer: PEER4, port: 179, device: "eth0" }),
      NetsysPermissionError,
    );
    sys.md5Supported = false;
    assert.throws(
      () => openConnectingSocket(sys, { peer: PEER4, port: 179, md5Key: new Secret(KEY) }),
      (e: Error) => e instanceof OptionUnsupportedError && !e.message.includes(KEY),
    );
    sys.localAddresses = new Set(["10.0.0.2"]);
    assert.throws(
      () => openConnectingSocket(sys, { peer: PEER4, port: 179, localAddress: IpAddress.of("10.9.9.9") }),
      AddressNotAvailableError,
    );
    assert.deepEqual(sys.openTcpSockets(), [], "no fd leaks");
  });

  test("connectTcp closes the fd when node:net cannot take it", () => {
    const sys = fake();
    assert.throws(
      () =>
        connectTcp(sys, { peer: PEER4, port: 179, md5Key: new Secret(KEY) }, () => {
          throw new Error("wrap failed");
        }),
      /wrap failed/,
    );
    assert.deepEqual(sys.openTcpSockets(), []);
  });

  test("listener keys: set, removed (a missing one is not an error), EBADF after close", () => {
    const sys = fake();
    const fd = sys.tcpSocket(6);
    sys.bind(fd, IpAddress.of("::"), 179, { reuseAddress: true });
    sys.listen(fd, 511);
    sys.setTcpMd5(fd, PEER4, new Secret(KEY));
    sys.setTcpMd5(fd, PEER6, new Secret("other"));
    removeTcpMd5(sys, fd, PEER4);
    removeTcpMd5(sys, fd, PEER4);
    assert.deepEqual([...sys.tcpSocketOf(fd).md5.keys()], ["fd00::1"]);
    const other = sys.tcpSocket(6);
    assert.throws(() => sys.bind(other, IpAddress.of("::"), 179), AddressInUseError);
    sys.close(fd);
    assert.throws(() => sys.setTcpMd5(fd, PEER4, new Secret(KEY)), SystemCallError);
  });

  test("GTSM at accept: a SYN below TTL 255 is refused before any option is set; 255 gets GTSM", () => {
    const sys = fake();
    const far = sys.tcpSocket(6);
    sys.tcpSocketOf(far).savedSynTtl = 254;
    assert.match(
      checkAcceptedTtl(sys, far, 4) ?? "",
      /SYN arrived with TTL 254, and TTL security accepts only 255/,
    );
    assert.equal(sys.tcpSocketOf(far).options.size, 0);
    const far6 = sys.tcpSocket(6);
    sys.tcpSocketOf(far6).savedSynTtl = 63;
    assert.match(checkAcceptedTtl(sys, far6, 6) ?? "", /hop limit 63/);
    const near = sys.tcpSocket(6);
    sys.tcpSocketOf(near).savedSynTtl = 255;
    assert.equal(checkAcceptedTtl(sys, near, 4), undefined);
    assert.deepEqual(sys.tcpCalls.slice(-2), [
      `setsockopt ${near} IP_TTL 255`,
      `setsockopt ${near} IP_MINTTL 255`,
    ]);
    // No saved SYN (a listener without TCP_SAVE_SYN): GTSM from now on.
    const unknown = sys.tcpSocket(4);
    assert.equal(checkAcceptedTtl(sys, unknown, 4), undefined);
    assert.equal(sys.tcpSocketOf(unknown).options.size, 2);
  });

  test("an IPv6 key on an IPv4 socket is refused", () => {
    const sys = fake();
    const fd = sys.tcpSocket(4);
    assert.throws(
      () => sys.setTcpMd5(fd, PEER6, new Secret(KEY)),
      (e: SystemCallError) => e.code === "EAFNOSUPPORT",
    );
  });
});

// ---------- the real addon, on loopback ----------

const native = netsysAvailable();
const skip =
  !native && process.env["CI"] !== "true" ? "native addon not built (npm run build:native)" : false;

const LO = IpAddress.of("127.0.0.1");

/** Resolves "connected" or "timeout" (bounded), then closes the socket. */
function outcome(socket: Socket, ms: number): Promise<"connected" | "timeout" | "error"> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      socket.destroy();
      resolve("timeout");
    }, ms);
    socket.once("connect", () => {
      clearTimeout(timer);
      socket.destroy();
      resolve("connected");
    });
    socket.once("error", () => {
      clearTimeout(timer);
      resolve("error");
    });
  });
}

async function nativeServer(): Promise<{ server: Server; fd: number; port: number }> {
  const sys = realNetsys();
  const server = createServer((s) => s.destroy());
  const fd = await listenTcp(sys, server, { host: IpAddress.of("::"), port: 0 });
  const a = server.address();
  return { server, fd, port: typeof a === "object" && a !== null ? a.port : 0 };
}

describe("with the real addon", { skip }, () => {
  test("the addon's constants are Linux's", () => {
    const c = loadNetsysBinding().constants;
    for (const [k, v] of Object.entries(LINUX_CONSTANTS)) assert.equal(c[k as keyof typeof c], v, k);
  });

  test("TCP MD5 on loopback: the right key connects; a wrong one, or none, never does", async (t) => {
    const sys = realNetsys();
    const { server, fd, port } = await nativeServer();
    t.after(() => server.close());
    sys.setTcpMd5(fd, LO, new Secret(KEY));
    const right = connectTcp(sys, { peer: LO, port, md5Key: new Secret(KEY) });
    assert.equal(await outcome(right, 3000), "connected");
    const wrong = connectTcp(sys, { peer: LO, port, md5Key: new Secret("not-the-key") });
    const plain = connectTcp(sys, { peer: LO, port });
    assert.deepEqual(await Promise.all([outcome(wrong, 1500), outcome(plain, 1500)]), ["timeout", "timeout"]);
    // The key removed from the listener: only unsigned connections get in.
    removeTcpMd5(sys, fd, LO);
    const unsigned = connectTcp(sys, { peer: LO, port });
    assert.equal(await outcome(unsigned, 3000), "connected");
  });

  test("GTSM: a listener with IP_MINTTL 255 takes a TTL-255 sender, not a TTL-64 one", async (t) => {
    const sys = realNetsys();
    const { server, fd, port } = await nativeServer();
    t.after(() => server.close());
    applyTtlSecurity(sys, fd, 4);
    const gtsm = connectTcp(sys, { peer: LO, port, ttlSecurity: true });
    assert.equal(await outcome(gtsm, 3000), "connected");
    const plain = connectTcp(sys, { peer: LO, port });
    assert.equal(await outcome(plain, 1500), "timeout");
  });

  test("accepted connections: socketFd reaches the fd; the saved SYN tells the TTL it came with", async (t) => {
    const sys = realNetsys();
    const queue: Socket[] = [];
    const server = createServer((s) => queue.push(s));
    const fd = await listenTcp(sys, server, { host: IpAddress.of("::"), port: 0 });
    t.after(() => server.close());
    saveSyns(sys, fd, true);
    // As BgpListener does for GTSM peers: SYN-ACKs leave with TTL 255, or a GTSM client drops them.
    sys.setsockoptInt(fd, LINUX_CONSTANTS.IPPROTO_IP, LINUX_CONSTANTS.IP_TTL, 255);
    const a = server.address();
    const port = typeof a === "object" && a !== null ? a.port : 0;
    const accept = async (ttlSecurity: boolean) => {
      const c = connectTcp(sys, { peer: LO, port, ttlSecurity });
      t.after(() => c.destroy());
      const end = Date.now() + 3000;
      while (queue.length === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
      const s = queue.shift();
      assert.ok(s !== undefined, "accepted");
      t.after(() => s.destroy());
      const sfd = socketFd(s);
      assert.ok(sfd !== undefined);
      return sfd;
    };
    const gtsm = await accept(true);
    assert.equal(sys.savedSynTtl(gtsm), 255);
    assert.equal(sys.savedSynTtl(gtsm), undefined, "handed out once");
    const plain = await accept(false);
    assert.equal(
      checkAcceptedTtl(sys, plain, 4),
      "its SYN arrived with TTL 64, and TTL security accepts only 255 (a directly connected peer)",
    );
    applyTtlSecurity(sys, gtsm, 4);
    // IPv4 options on the IPv6 (dual-stack) accepted socket: the kernel takes them.
    assert.equal(sys.getsockoptInt(gtsm, LINUX_CONSTANTS.IPPROTO_IP, LINUX_CONSTANTS.IP_MINTTL), 255);
    assert.equal(sys.getsockoptInt(gtsm, LINUX_CONSTANTS.IPPROTO_IP, LINUX_CONSTANTS.IP_TTL), 255);
  });

  test("typed errors from the kernel, none with the key in it", () => {
    const sys = realNetsys();
    assert.throws(
      () => openConnectingSocket(sys, { peer: LO, port: 179, device: "nope0" }),
      // ENODEV; EPERM first without CAP_NET_RAW on kernels before 5.7
      (e: Error) => e instanceof NoSuchInterfaceError || e instanceof NetsysPermissionError,
    );
    assert.throws(
      () => openConnectingSocket(sys, { peer: LO, port: 179, localAddress: IpAddress.of("192.0.2.77") }),
      AddressNotAvailableError,
    );
    const fd = sys.tcpSocket(4);
    try {
      assert.throws(
        () => sys.setTcpMd5(fd, IpAddress.of("::1"), new Secret(KEY)),
        (e: Error) => e instanceof SystemCallError && !e.message.includes(KEY),
      );
      assert.throws(() => sys.setTcpMd5(fd, LO, new Secret("x".repeat(81))), /1 to 80 octets/);
    } finally {
      sys.close(fd);
    }
    assert.throws(
      () => sys.setTcpMd5(fd, LO, new Secret(KEY)),
      (e: SystemCallError) => e.code === "EBADF",
    );
  });
});
