/**
 * FakeNetsys, the in-memory door the layer-2 responder will be unit-tested through: frames
 * cross a fake veth, the real BPF filter from protocol/l2 decides what a socket sees, and
 * misuse gives the same typed errors as the native door.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { IpAddress } from "../../../protocol/ip/index.ts";
import { gratuitousArpFrames, MacAddress, neighborFilterBytes } from "../../../protocol/l2/index.ts";
import { NoSuchInterfaceError, SocketClosedError } from "../../../src/platform/netsys.ts";
import { FakeNetsys } from "../../../src/platform/netsys-fake.ts";

const A = MacAddress.of("02:00:00:00:00:0a");
const B = MacAddress.of("02:00:00:00:00:0b");
const tick = () => new Promise((r) => setImmediate(r));

test("frames cross the fake veth; the neighbour filter lets ARP in and keeps other frames out", async () => {
  const net = new FakeNetsys();
  net.addLink({ name: "a0", mac: A.toBytes() }, { name: "b0", mac: B.toBytes() });
  const rx = net.openPacket({ ifname: "b0", filter: neighborFilterBytes() });
  const got: Uint8Array[] = [];
  rx.onFrame((f) => got.push(f));
  const tx = net.openPacket({ ifname: "a0" });
  const [request] = gratuitousArpFrames(A, IpAddress.of("10.0.0.5"));
  tx.send(request!);
  // An IPv4 frame (EtherType 0x0800) with nothing of interest: the filter drops it.
  const other = new Uint8Array(60);
  other.set(B.toBytes(), 0);
  other.set(A.toBytes(), 6);
  other[12] = 0x08;
  tx.send(other);
  await tick();
  await tick();
  assert.equal(got.length, 1, "only the ARP request passes the filter");
  assert.deepEqual([...got[0]!.subarray(0, request!.length)], [...request!]);
  assert.equal(net.sent("a0").length, 2);
  rx.close();
  tx.close();
});

test("typed errors: unknown interface, send on a closed socket", () => {
  const net = new FakeNetsys();
  net.addInterface("x0", A.toBytes());
  assert.throws(() => net.openPacket({ ifname: "nope" }), NoSuchInterfaceError);
  const s = net.openPacket({ ifname: "x0" });
  s.close();
  s.close(); // idempotent
  assert.throws(() => s.send(new Uint8Array(60)), SocketClosedError);
});
