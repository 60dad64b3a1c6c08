/**
 * Speaker, driven by snapshots as the cluster source would: the last good config is kept
 * when a new one is invalid, and a BGP password never reaches status or logs.
 */
import assert from "node:assert/strict";
import { Socket } from "node:net";
import { Writable } from "node:stream";
import { test } from "node:test";
import type { ClusterSnapshot } from "../../../src/cluster/index.ts";
import { createLogger } from "../../../src/observe/logger.ts";
import { Speaker } from "../../../src/speaker/speaker.ts";

const SECRET = "s3cr3t-md5-key";

function config(holdTime: string, extraPool = "") {
  return `peers:
- peer-address: 192.0.2.1
  peer-asn: 65000
  my-asn: 65001
  password: ${SECRET}
  hold-time: ${holdTime}
address-pools:
- name: default
  protocol: bgp
  addresses: [198.51.100.0/24]
${extraPool}`;
}

function snapshot(text: string): ClusterSnapshot {
  return {
    configMap: { text, origin: "test" },
    services: [
      {
        metadata: { namespace: "default", name: "web" },
        spec: { type: "LoadBalancer" },
        status: { loadBalancer: { ingress: [{ ip: "198.51.100.7" }] } },
      },
    ],
    nodes: [],
    endpointSlices: [],
  };
}

test("an invalid config keeps the last good one running; no password in status or logs", async () => {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  // A connect that never completes: the session stays in Connect, no network is touched.
  const speaker = new Speaker({
    node: "n1",
    logger: createLogger("debug", sink),
    connect: () => new Socket(),
  });
  speaker.update(snapshot(config("9s")));
  let s = speaker.status();
  assert.equal(s.config.state, "valid");
  assert.equal(s.peers.length, 1);
  assert.equal(s.peers[0]!.prefixes.desired, 1);

  speaker.update(snapshot(config("2s")));
  s = speaker.status();
  assert.equal(s.config.state, "invalid");
  assert.ok(s.config.state === "invalid" && s.config.running === "last-good");
  assert.match(JSON.stringify(s.config), /hold-time/);
  assert.equal(s.peers.length, 1, "the session of the last good config runs on");
  assert.equal(s.peers[0]!.state, "Connect");

  const everything = JSON.stringify(s) + lines.join("");
  assert.ok(!everything.includes(SECRET), "the password appears nowhere");
  assert.ok(lines.some((l) => l.includes("config rejected")));
  await speaker.stop("notify");
});

test("/metrics reads the status: session up, prefixes, config loaded and stale", async () => {
  const { speakerMetrics } = await import("../../../src/observe/metrics.ts");
  const speaker = new Speaker({ node: "n1", logger: createLogger("silent"), connect: () => new Socket() });
  const registry = speakerMetrics(() => speaker.status());
  speaker.update(snapshot(config("9s")));
  let text = await registry.metrics();
  assert.match(text, /signalbox_bgp_session_up\{peer="192\.0\.2\.1"\} 0/);
  assert.match(text, /signalbox_config_loaded 1/);
  assert.match(text, /signalbox_config_stale 0/);
  speaker.update(snapshot(config("2s")));
  text = await registry.metrics();
  assert.match(text, /signalbox_config_loaded 0/);
  assert.match(text, /signalbox_config_stale 1/);
  assert.ok(!text.includes(SECRET));
  await speaker.stop("notify");
});

test("one log line per Service whose verdict on this node changes, with its reason", async () => {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  const speaker = new Speaker({
    node: "n1",
    logger: createLogger("info", sink),
    connect: () => new Socket(),
  });
  const snap = snapshot(config("9s"));
  speaker.update(snap);
  speaker.update(snap); // nothing changed: nothing logged
  const cordoned: ClusterSnapshot = {
    ...snap,
    nodes: [{ metadata: { name: "n1" }, spec: { unschedulable: true } }],
  };
  speaker.update(cordoned);
  speaker.update({ ...snap, services: [] });
  await new Promise((r) => setImmediate(r));
  const msgs = lines.map((l) => JSON.parse(l) as { msg: string; service?: string; reason?: string });
  const about = msgs.filter((m) => m.service === "default/web").map((m) => m.msg);
  assert.deepEqual(about, [
    "announcing default/web (198.51.100.7)",
    "not announcing default/web: nodeCordoned",
  ]);
  await speaker.stop("notify");
});
