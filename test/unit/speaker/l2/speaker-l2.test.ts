/**
 * The speaker with layer 2 (fake segment and clock): a layer2 pool starts the runtime, /status
 * shows per address whether this node answers and why not, /metrics counts answers and
 * gratuitous frames, and stop() says goodbye with a leaving heartbeat.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { IpAddress } from "../../../../protocol/ip/index.ts";
import {
  ArpOperation,
  decodeEthernet,
  decodeHeartbeat,
  EtherType,
  encodeArp,
  encodeEthernet,
  encodeHeartbeat,
  HEARTBEAT_ETHERTYPE,
  MacAddress,
} from "../../../../protocol/l2/index.ts";
import type { ClusterSnapshot } from "../../../../src/cluster/index.ts";
import { silentLogger } from "../../../../src/observe/logger.ts";
import { speakerMetrics } from "../../../../src/observe/metrics.ts";
import { Speaker } from "../../../../src/speaker/speaker.ts";
import { ethLinks, FakeClock, Segment } from "./fakes.ts";

const CONFIG = "address-pools: [{name: l2, protocol: layer2, addresses: [192.168.1.200-192.168.1.210]}]\n";

function snapshot(ips: string[], nodes: string[] = []): ClusterSnapshot {
  return {
    configMap: { text: CONFIG, origin: "test" },
    services: [
      {
        metadata: { namespace: "ns", name: "web" },
        spec: { type: "LoadBalancer" },
        status: { loadBalancer: { ingress: ips.map((ip) => ({ ip })) } },
      },
    ],
    nodes: nodes.map((name) => ({ metadata: { name } })),
    endpointSlices: [],
  };
}

test("speaker: a layer2 pool starts layer 2; status, metrics, leaving heartbeat on stop", async () => {
  const clock = new FakeClock();
  const seg = new Segment();
  clock.afterEach = () => seg.flush();
  const st = seg.add("n1", "02:00:00:00:00:01");
  const client = seg.add("client", "02:cc:00:00:00:01");
  const speaker = new Speaker({
    node: "n1",
    logger: silentLogger,
    clock,
    l2: { netsys: () => seg.netsys(st), links: () => ethLinks(st.mac) },
  });
  speaker.update(snapshot(["192.168.1.200"]));
  assert.equal(speaker.status().layer2?.addresses[0]?.reason, "warmingUp");
  clock.advance(500);
  let s = speaker.status().layer2!;
  assert.equal(s.ready, true);
  assert.deepEqual(
    s.addresses.map((a) => [a.ip, a.answering, a.interfaces]),
    [["192.168.1.200", true, ["eth0"]]],
  );
  assert.ok(s.addresses[0]!.gratuitous >= 2, "takeover announced");

  const req = encodeEthernet(
    {
      destination: MacAddress.BROADCAST,
      source: client.mac,
      etherType: EtherType.ARP,
      payload: encodeArp({
        operation: ArpOperation.Request,
        senderMac: client.mac,
        senderIp: IpAddress.of("192.168.1.2"),
        targetMac: MacAddress.ZERO,
        targetIp: IpAddress.of("192.168.1.200"),
      }),
    },
    { padToMinimum: true },
  );
  seg.transmit(client, req);
  seg.flush();
  s = speaker.status().layer2!;
  assert.equal(s.addresses[0]!.replies, 1);
  const text = await speakerMetrics(() => speaker.status()).metrics();
  assert.match(text, /signalbox_layer2_responses_sent\{ip="192.168.1.200"\} 1/);
  assert.match(text, /signalbox_layer2_gratuitous_sent\{ip="192.168.1.200"\} [1-9]/);
  assert.match(text, /signalbox_layer2_announcing\{ip="192.168.1.200"\} 1/);

  // Another node sorts first for the address: not elected, with the winner named.
  speaker.update(snapshot(["192.168.1.200"], ["n1", "n0"]));
  const hb = (node: string, sequence: number) =>
    encodeEthernet({
      destination: MacAddress.BROADCAST,
      source: MacAddress.of("02:00:00:00:00:09"),
      etherType: HEARTBEAT_ETHERTYPE,
      payload: encodeHeartbeat({
        node,
        incarnation: 7,
        sequence,
        intervalMs: 100,
        holdMs: 350,
        ready: true,
        leaving: false,
      }),
    });
  const other = seg.add("n0", "02:00:00:00:00:09");
  for (let i = 0; i < 5; i++) {
    seg.transmit(other, hb("n0", i + 1));
    clock.advance(100);
  }
  s = speaker.status().layer2!;
  assert.equal(s.members[0]?.state, "alive");
  const a = s.addresses[0]!;
  if (a.home === "n0") {
    assert.deepEqual([a.answering, a.reason, a.winner], [false, "notElected", "n0"]);
  } else {
    assert.deepEqual([a.home, a.answering, a.reason], ["n1", true, undefined]);
  }

  client.inbox.length = 0;
  await speaker.stop("notify");
  seg.flush();
  const leaving = client.inbox
    .map((f) => decodeEthernet(f))
    .filter((e) => e.ok && e.value.etherType === HEARTBEAT_ETHERTYPE)
    .map((e) => (e.ok ? decodeHeartbeat(e.value.payload) : undefined));
  assert.ok(leaving.some((h) => h?.ok && h.value.node === "n1" && h.value.leaving));
});
