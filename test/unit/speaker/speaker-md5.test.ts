/**
 * The speaker with TCP MD5 and GTSM peers, through the real addon (skipped when it is not
 * built, unless CI=true): what the config asks for reaches the sessions, and no password —
 * old or new — ever reaches /status, /metrics or the log, including while the session fails.
 */
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { test } from "node:test";
import type { ClusterSnapshot } from "../../../src/cluster/index.ts";
import { createLogger } from "../../../src/observe/logger.ts";
import { speakerMetrics } from "../../../src/observe/metrics.ts";
import { netsysAvailable } from "../../../src/platform/netsys.ts";
import { Speaker } from "../../../src/speaker/speaker.ts";

const OLD = "0ld-md5-s3cret";
const NEW = "n3w-md5-s3cret";

function snapshot(password: string): ClusterSnapshot {
  const text = `peers:
- peer-address: 127.0.0.42
  peer-asn: 65000
  my-asn: 65001
  password: ${password}
  ttl-security: true
  hold-time: 9s
address-pools:
- name: default
  protocol: bgp
  addresses: [198.51.100.0/24]
`;
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

const skip =
  !netsysAvailable() && process.env["CI"] !== "true"
    ? "native addon not built (npm run build:native)"
    : false;

test("MD5 and GTSM peers: flags in status; no password in status, metrics or logs", { skip }, async () => {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  const speaker = new Speaker({
    node: "n1",
    logger: createLogger("debug", sink),
    listen: { host: "127.0.0.41", port: 0 },
  });
  await speaker.start();
  try {
    speaker.update(snapshot(OLD));
    const p = speaker.status().peers[0]!;
    assert.deepEqual(
      { md5: p.transport.md5, ttlSecurity: p.transport.ttlSecurity },
      { md5: true, ttlSecurity: true },
    );
    // Nobody listens at 127.0.0.42: the signed SYN gets an unsigned RST, which the kernel
    // ignores (RFC 2385), so the attempt hangs; let it run a moment.
    await new Promise((r) => setTimeout(r, 200));
    speaker.update(snapshot(NEW));
    assert.ok(lines.some((l) => l.includes("peer settings changed: restarting its session")));
    const metrics = await speakerMetrics(() => speaker.status()).metrics();
    const everything = JSON.stringify(speaker.status()) + metrics + lines.join("");
    for (const secret of [OLD, NEW]) assert.ok(!everything.includes(secret), "a password leaked");
    assert.ok(!lines.some((l) => /TCP MD5 key .* could not be set/.test(l)), lines.join(""));
  } finally {
    await speaker.stop("notify");
  }
});
