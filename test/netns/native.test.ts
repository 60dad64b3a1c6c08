// The native door (native/netsys.c through src/platform/netsys.ts) against the real kernel:
// a packet socket with protocol/l2's BPF filter in one namespace answers arping and ndisc6
// from the other, with frames built by protocol/l2's respond(); the filter keeps pings out;
// the solicited-node membership shows in `ip maddr` and goes with close().
//
// A packet socket lives in the namespace of the thread that opens it, so the socket side runs
// as a child process of this same file inside the namespace (SBX_NATIVE_CHILD=1), started
// with lab.spawn and reporting one JSON line per event on stdout (its log file).
//
// Addresses: 10.253.0.0/30 and fd00:253::/64 inside the two namespaces only. The socket side
// has no address of its own but its link-local: 10.253.0.2 and fd00:253::2 belong to nobody,
// so only our socket can answer for them.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { IpAddress } from "../../protocol/ip/index.ts";
import {
  AddressSet,
  ipv6MulticastMac,
  MacAddress,
  neighborFilterBytes,
  respond,
  solicitedNodeAddress,
} from "../../protocol/l2/index.ts";
import { netsysAvailable, PacketSocket, PacketType } from "../../src/platform/netsys.ts";
import { arping, isCI, Lab, ndisc, need, ping, waitFor } from "./lib/index.ts";

const TARGET4 = "10.253.0.2";
const TARGET6 = "fd00:253::2";

interface Event {
  socket?: "filtered" | "witness";
  type?: number;
  etherType?: number;
  kind?: string;
  ready?: boolean;
  error?: string;
}

// ---------- the child: our packet socket inside the namespace ----------

function linkLocalOf(ifname: string): IpAddress | undefined {
  // /proc/net/if_inet6: address (32 hex), ifindex, prefix length, scope (20 = link), flags, name
  for (const line of readFileSync("/proc/net/if_inet6", "utf8").split("\n")) {
    const f = line.trim().split(/\s+/);
    if (f[5] === ifname && f[3] === "20") return IpAddress.parse(f[0]!.replace(/(.{4})(?!$)/g, "$1:"));
  }
  return undefined;
}

function echoKind(frame: Uint8Array): string | undefined {
  const etherType = (frame[12]! << 8) | frame[13]!;
  if (etherType === 0x0800 && frame[23] === 1 && frame[14 + ((frame[14]! & 15) << 2)] === 8)
    return "icmp-echo";
  if (etherType === 0x86dd && frame[20] === 58 && frame[54] === 128) return "icmpv6-echo";
  return undefined;
}

function child(): void {
  const ifname = process.env["SBX_IFNAME"] ?? "eth0";
  const log = (e: Event): void => void process.stdout.write(`${JSON.stringify(e)}\n`);
  const mac = MacAddress.of(readFileSync(`/sys/class/net/${ifname}/address`, "utf8").trim());
  const linkLocal = linkLocalOf(ifname);
  const t6 = IpAddress.parse(TARGET6)!;
  // respond() answers NDP from the target itself (ndisc6 ignores an NA from another source).
  const iface = {
    mac,
    ...(linkLocal ? { linkLocal } : {}),
    addresses: new AddressSet([IpAddress.parse(TARGET4)!, t6]),
  };
  const filtered = PacketSocket.open({
    ifname,
    filter: neighborFilterBytes(),
    multicastMacs: [ipv6MulticastMac(solicitedNodeAddress(t6)).toBytes()],
  });
  // Unfiltered, to prove that the frames the filter keeps out did reach the interface.
  const witness = PacketSocket.open({ ifname });
  filtered.onFrame(
    (frame, type) => {
      const etherType = (frame[12]! << 8) | frame[13]!;
      const d = respond(frame, iface);
      log({ socket: "filtered", type, etherType, kind: d.action === "send" ? d.kind : d.reason });
      if (d.action === "send") for (const f of d.frames) filtered.send(f);
    },
    (e) => log({ error: `${e.name}: ${e.message}` }),
  );
  witness.onFrame((frame, type) => {
    const kind = echoKind(frame);
    if (kind !== undefined) log({ socket: "witness", type, kind });
  });
  process.once("SIGTERM", () => {
    filtered.close();
    witness.close();
    process.exit(0);
  });
  log({ ready: true, kind: `${mac} link-local ${linkLocal ?? "none"}` });
}

// ---------- the test ----------

function events(text: string): Event[] {
  return text
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as Event);
}

if (process.env["SBX_NATIVE_CHILD"] === "1") {
  child();
} else {
  test("netsys packet socket answers arping and ndisc6 in a namespace; its BPF filter keeps pings out", async (t) => {
    if (!need(t, ["arping", "ndisc6", "ping"])) return;
    if (!netsysAvailable()) {
      const why = "native addon native/build/netsys.node not built: run `npm run build:native`";
      if (isCI()) throw new Error(`CI=true and a prerequisite is missing: ${why}`);
      t.skip(why);
      return;
    }
    const lab = await Lab.create();
    t.after(() => lab.close());
    const cli = await lab.addNamespace("cli");
    const node = await lab.addNamespace("node");
    await lab.addVeth(
      { ns: cli, ifname: "eth0", addresses: ["10.253.0.1/30", "fd00:253::1/64"] },
      { ns: node, ifname: "eth0" },
    );
    const nodeMac = (await lab.run(node, ["cat", "/sys/class/net/eth0/address"])).trim();
    await waitFor(
      async () =>
        (await lab.run(node, ["ip", "-6", "-o", "addr", "show", "dev", "eth0", "scope", "link"])).includes(
          "fe80::",
        ) && (await lab.run(cli, ["cat", "/sys/class/net/eth0/operstate"])).trim() === "up",
      { what: "veth carrier and the node side's link-local address", timeoutMs: 5000, intervalMs: 50 },
    );

    const sock = lab.spawn(
      node,
      [process.execPath, "--disable-warning=ExperimentalWarning", fileURLToPath(import.meta.url)],
      { env: { SBX_NATIVE_CHILD: "1", SBX_IFNAME: "eth0" } },
    );
    await waitFor(
      () => {
        if (!sock.running) throw new Error(`socket child exited: ${sock.logTail(20)}`);
        return events(sock.logTail(1000)).some((e) => e.ready);
      },
      { what: "the packet socket child ready", timeoutMs: 10_000, intervalMs: 50 },
    );
    const seen = (): Event[] => events(sock.logTail(10_000));

    // The solicited-node group of fd00:253::2 is joined on the interface (PACKET_ADD_MEMBERSHIP).
    const group = "33:33:ff:00:00:02";
    assert.match(await lab.run(node, ["ip", "maddr", "show", "dev", "eth0"]), new RegExp(group));

    await t.test("ARP: arping gets our reply, with the interface's MAC", async () => {
      const r = await arping(lab, cli, "eth0", TARGET4, { count: 1, timeoutSec: 3 });
      assert.deepEqual(r.macs, [nodeMac], r.output);
      const arp = seen().filter((e) => e.socket === "filtered" && e.etherType === 0x0806);
      assert.ok(
        arp.some((e) => e.kind === "arp-reply" && e.type === PacketType.Broadcast),
        JSON.stringify(arp),
      );
    });

    await t.test("NDP: ndisc6's NS to the solicited-node group is answered with an NA", async () => {
      const mac = await ndisc(lab, cli, "eth0", TARGET6, { retries: 3, waitMs: 1000 });
      assert.equal(mac, nodeMac);
      const ns = seen().filter((e) => e.socket === "filtered" && e.kind === "neighbor-advertisement");
      assert.ok(
        ns.some((e) => e.type === PacketType.Multicast),
        JSON.stringify(ns),
      );
    });

    await t.test(
      "the filter drops pings that reach the interface; no outgoing frame comes back",
      async () => {
        await ping(lab, cli, TARGET4, { count: 2, interval: 0.2, waitSec: 1 });
        await ping(lab, cli, TARGET6, { count: 2, interval: 0.2, waitSec: 1 });
        await waitFor(
          () => {
            const kinds = new Set(
              seen()
                .filter((e) => e.socket === "witness")
                .map((e) => e.kind),
            );
            return kinds.has("icmp-echo") && kinds.has("icmpv6-echo");
          },
          { what: "the unfiltered witness socket sees both echo requests", timeoutMs: 5000, intervalMs: 50 },
        );
        const filtered = seen().filter((e) => e.socket === "filtered");
        for (const e of filtered) {
          assert.ok(e.etherType === 0x0806 || e.etherType === 0x86dd, JSON.stringify(e));
          assert.notEqual(e.type, PacketType.Outgoing, JSON.stringify(e));
          assert.notEqual(e.kind, "not-arp-or-ns", JSON.stringify(e));
        }
        assert.deepEqual(
          seen().filter((e) => e.error !== undefined),
          [],
        );
      },
    );

    await t.test("close() leaves the multicast group", async () => {
      await sock.stop(3000);
      const maddr = await lab.run(node, ["ip", "maddr", "show", "dev", "eth0"]);
      assert.doesNotMatch(maddr, new RegExp(group));
    });
  });
}
