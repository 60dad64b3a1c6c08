/** `signalbox status`, the pure part: merging /status documents, tables, explanations, secrets, discovery. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  checkControllerDoc,
  checkSpeakerDoc,
  explainService,
  type Fetched,
  formatDuration,
  mergeStatus,
  type PodLike,
  redactSecrets,
  renderOverview,
  reportJson,
  serviceKeyOf,
  table,
  targetsFromPods,
} from "../../../src/cli/status-view.ts";
import { REASON_TEXT } from "../../../src/speaker/reasons.ts";
import { controllerDoc, speakerN1, speakerN2, speakerNoConfig, standbyDoc } from "./fixtures.ts";

const ok = (role: "speaker" | "controller", address: string, doc: unknown, extra = {}): Fetched => ({
  target: { role, address, ...extra },
  ok: true,
  doc: JSON.parse(JSON.stringify(doc)), // what crosses the wire: undefined fields vanish
});
const all = (): Fetched[] => [
  ok("controller", "10.0.0.3:7472", controllerDoc, { pod: "signalbox-controller-7d9f-abcde" }),
  ok("speaker", "10.0.0.12:7473", speakerN2, { pod: "signalbox-speaker-bbbbb", node: "n2" }),
  ok("speaker", "10.0.0.11:7473", speakerN1, { pod: "signalbox-speaker-aaaaa", node: "n1" }),
];

describe("mergeStatus", () => {
  it("gives one row per BGP session, nodes sorted, with ASNs, state, prefixes and the last error", () => {
    const r = mergeStatus(all());
    assert.deepEqual(
      r.speakers.map((s) => s.node),
      ["n1", "n2"],
    );
    assert.deepEqual(r.sessions, [
      {
        node: "n1",
        peer: "127.0.0.1:42555",
        localAs: 64500,
        peerAs: 64501,
        state: "Connect",
        sent: 0,
        desired: 1,
        received: 0,
        flaps: 0,
        md5: true,
        lastError: speakerN1.peers[0]!.transport.problem,
      },
      {
        node: "n2",
        peer: "10.0.0.1:179",
        localAs: 64500,
        peerAs: 64501,
        state: "Established",
        establishedSince: "2026-11-27T20:05:00.000Z",
        uptimeSeconds: 3725,
        sent: 2,
        desired: 2,
        received: 0,
        flaps: 1,
        md5: false,
        lastError: "Hold Timer Expired",
        lastErrorAt: "2026-11-27T20:04:30.000Z",
      },
    ]);
    assert.deepEqual(r.unreachable, []);
  });

  it("lists every Service with IPs, pool, who announces and why the others do not; other classes left out", () => {
    const r = mergeStatus(all());
    assert.deepEqual(
      r.services.map((s) => [s.service, s.ips, s.pools, s.announcing, s.notAnnouncing]),
      [
        ["apps/lan", ["198.51.100.64"], ["lan"], ["n2"], [{ node: "n1", reason: "notAnswering" }]],
        ["apps/local", ["192.0.2.0"], ["web"], ["n2"], [{ node: "n1", reason: "noLocalEndpoints" }]],
        [
          "apps/pinned",
          [],
          [],
          [],
          [
            { node: "n1", reason: "noIngressIp" },
            { node: "n2", reason: "noIngressIp" },
          ],
        ],
        ["apps/web", ["192.0.2.1"], ["web"], ["n1", "n2"], []],
      ],
    );
    const pinned = r.services.find((s) => s.service === "apps/pinned")!;
    assert.deepEqual(pinned.problem, {
      reason: "AllocationFailed",
      message: "cannot use 203.0.113.9: it lies in no configured address pool",
    });
    assert.match(r.services.find((s) => s.service === "apps/web")!.balance!.summary, /50% each/);
  });

  it("takes the leader's view among several controllers", () => {
    const r = mergeStatus([
      ok("controller", "10.0.0.4:7472", standbyDoc),
      ok("controller", "10.0.0.3:7472", controllerDoc),
    ]);
    assert.equal(r.controller?.target.address, "10.0.0.3:7472");
    assert.equal(r.controllers.length, 2);
  });

  it("a speaker without config, and one that does not list the Service, say so", () => {
    const r = mergeStatus([...all(), ok("speaker", "10.0.0.13:7473", speakerNoConfig)]);
    const web = r.services.find((s) => s.service === "apps/web")!;
    assert.deepEqual(web.notAnnouncing, [{ node: "n3", reason: "noConfig" }]);
    const withoutWeb = {
      ...speakerN1,
      node: "n4",
      services: speakerN1.services.filter((s) => s.service !== "apps/web"),
    };
    const r2 = mergeStatus([
      ok("speaker", "10.0.0.11:7473", speakerN1),
      ok("speaker", "10.0.0.14:7473", withoutWeb),
    ]);
    assert.deepEqual(r2.services.find((s) => s.service === "apps/web")!.notAnnouncing, [
      { node: "n4", reason: "notSeen" },
    ]);
  });

  it("names what it could not reach and still merges the rest", () => {
    const r = mergeStatus([
      ...all(),
      {
        target: { role: "speaker", address: "10.0.0.13:7473", pod: "signalbox-speaker-ccccc", node: "n3" },
        ok: false,
        error: "connection refused",
      },
      { target: { role: "controller", address: "10.0.0.4:7472" }, ok: false, error: "no answer within 3 s" },
    ]);
    assert.deepEqual(r.unreachable, [
      {
        role: "controller",
        who: "controller 10.0.0.4:7472",
        address: "10.0.0.4:7472",
        error: "no answer within 3 s",
      },
      {
        role: "speaker",
        who: "speaker n3 (pod signalbox-speaker-ccccc, 10.0.0.13:7473)",
        address: "10.0.0.13:7473",
        error: "connection refused",
      },
    ]);
    assert.equal(r.controller?.target.address, "10.0.0.3:7472");
    assert.equal(r.services.length, 4);
    // n3's view is missing: it appears neither as announcing nor as not announcing.
    assert.ok(r.services.every((s) => s.nodes.every((n) => n.node !== "n3")));
  });

  it("a document of the wrong kind is an error, not a crash", () => {
    assert.match(checkSpeakerDoc(controllerDoc) as string, /controller's \/status/);
    assert.match(checkControllerDoc(speakerN1) as string, /speaker's \/status/);
    assert.match(checkSpeakerDoc("hello") as string, /not a JSON object/);
    assert.match(checkSpeakerDoc({ node: "x" }) as string, /no node, peers, services/);
    const r = mergeStatus([ok("speaker", "127.0.0.1:7472", controllerDoc)]);
    assert.match(r.unreachable[0]!.error, /controller's \/status, not a speaker's/);
  });
});

describe("renderOverview", () => {
  const text = renderOverview(mergeStatus(all()));

  it("shows the controller, the pools, one BGP table per node and the Services table", () => {
    const lines = text.split("\n");
    assert.equal(
      lines[0],
      "Controller signalbox-controller-7d9f-abcde (pod signalbox-controller-7d9f-abcde, 10.0.0.3:7472): leader, config valid, 3 Services allocated, 1 problem",
    );
    assert.ok(
      lines.includes(
        "BGP sessions on n1 (pod signalbox-speaker-aaaaa, 10.0.0.11:7473): config valid, BGP listener off, layer 2 up",
      ),
    );
    assert.ok(
      lines.includes(
        "BGP sessions on n2 (pod signalbox-speaker-bbbbb, 10.0.0.12:7473): config valid, listening on :::179, layer 2 up",
      ),
    );
    const i = lines.indexOf(
      "BGP sessions on n2 (pod signalbox-speaker-bbbbb, 10.0.0.12:7473): config valid, listening on :::179, layer 2 up",
    );
    assert.deepEqual(lines.slice(i + 1, i + 3), [
      "  Peer          Local AS  Peer AS  State        Since                        Sent  Rcvd  Last error",
      "  10.0.0.1:179  64500     64501    Established  2026-11-27 20:05:00 (1h02m)  2     0     Hold Timer Expired",
    ]);
    const s = lines.indexOf("Services");
    assert.deepEqual(lines.slice(s + 1, s + 6), [
      "Service      IPs            Pool  Announced by  Not announced (reason)",
      "apps/lan     198.51.100.64  lan   n2            n1 (notAnswering)",
      "apps/local   192.0.2.0      web   n2            n1 (noLocalEndpoints)",
      "apps/pinned  -              -     -             n1, n2 (noIngressIp); controller: AllocationFailed: cannot use 203.0.113.9: it lies in no configured address pool",
      "apps/web     192.0.2.1      web   n1, n2        -",
    ]);
    assert.match(text, /^web +bgp +yes +2\/16 IPv4 +192\.0\.2\.0\/28$/m);
    assert.match(text, /127\.0\.0\.1:42555 +64500 +64501 +Connect +- +0 of 1 +0 +no answer to 2 TCP/);
  });

  it("says loudly when a config is invalid or missing, and when a process is not reached", () => {
    const bad = {
      ...speakerN1,
      config: {
        state: "invalid" as const,
        origin: "cm",
        errors: ["peers[0].peer-asn: required"],
        running: "last-good" as const,
      },
    };
    const r = mergeStatus([
      ok("speaker", "a:1", bad),
      ok("speaker", "b:1", speakerNoConfig),
      { target: { role: "speaker", address: "c:1" }, ok: false, error: "connection refused" },
    ]);
    const t = renderOverview(r);
    assert.match(t, /BGP sessions on n1 \(a:1\): CONFIG INVALID \(running the last good one\)/);
    assert.match(t, /^ {2}error: peers\[0\]\.peer-asn: required$/m);
    assert.match(
      t,
      /BGP sessions on n3 \(b:1\): NO CONFIG \(ConfigMap missing\), BGP listener off\n {2}no BGP sessions/,
    );
    assert.match(t, /BGP sessions on c:1: UNREACHABLE: connection refused/);
    assert.match(t, /Not reached \(their view is missing above\): speaker c:1/);
    assert.match(t, /^Controller: not asked/m);
  });

  it("tells when a speaker's API watch is down, and a standalone speaker's manifest problems", () => {
    const down = { ...speakerN1, source: { ...(speakerN1.source as object), connected: false } };
    const files = {
      ...speakerN2,
      source: { dir: "/etc/signalbox", problems: ["services.yaml (line 3, col 7): YAML syntax error"] },
    };
    const t = renderOverview(mergeStatus([ok("speaker", "a:1", down), ok("speaker", "b:1", files)]));
    assert.match(
      t,
      /^BGP sessions on n1 \(a:1\): config valid, BGP listener off, layer 2 up, API watch down \(announcing its last view\)$/m,
    );
    assert.match(t, /^ {2}manifest problem: services\.yaml \(line 3, col 7\): YAML syntax error$/m);
  });

  it("nothing reached: the Services are unknown, not absent", () => {
    const t = renderOverview(
      mergeStatus([{ target: { role: "speaker", address: "a:1" }, ok: false, error: "connection refused" }]),
    );
    assert.match(t, /^Services: unknown \(neither the controller nor any speaker was reached\)$/m);
  });
});

describe("explainService", () => {
  const r = mergeStatus(all());

  it("explains node by node, in the words of REASON_TEXT, with the controller's view", () => {
    const e = explainService(r, "apps/local");
    assert.equal(e.found, true);
    assert.equal(
      e.text,
      [
        "Service apps/local",
        "  IPs:   192.0.2.0",
        "  Pool:  web",
        "  Controller: allocated 192.0.2.0 from pool web",
        "  Nodes:",
        `    n1: does not announce 192.0.2.0: ${REASON_TEXT.noLocalEndpoints} (noLocalEndpoints)`,
        "    n2: announces 192.0.2.0 over BGP to 1 of 1 peer",
      ].join("\n"),
    );
  });

  it("warns when a node announces but no session is up, and gives the balance", () => {
    const e = explainService(r, "apps/web").text;
    assert.match(
      e,
      /n1: announces 192\.0\.2\.1 over BGP, but its only BGP session is not Established: no router has the route/,
    );
    assert.match(e, /Balance: rack tor:127\.0\.0\.1: 2 nodes take 50% each/);
  });

  it("gives the controller's problem", () => {
    const e = explainService(r, "apps/pinned").text;
    assert.match(
      e,
      /Controller: AllocationFailed: cannot use 203\.0\.113\.9: it lies in no configured address pool/,
    );
    assert.match(e, /n1: no IP allocated yet .*\(noIngressIp\)/);
  });

  it("layer 2: who answers, and who won the election", () => {
    const e = explainService(r, "apps/lan").text;
    assert.match(
      e,
      /n1: eligible for layer 2, does not answer for 198\.51\.100\.64: another node won the election \(n2 answers\) \(notElected\)/,
    );
    assert.match(e, /n2: answers ARP\/NDP for 198\.51\.100\.64 on eth0/);
  });

  it("another class is not ours; an unknown Service is not found", () => {
    assert.match(explainService(r, "apps/other").text, /another load balancer class/);
    const u = explainService(r, "apps/nope");
    assert.equal(u.found, false);
    assert.match(u.text, /not known to the controller nor to any speaker/);
  });
});

describe("secrets", () => {
  it("redactSecrets replaces every secret-named string, deeply", () => {
    const doc = {
      peers: [{ key: "k", password: "hunter2", transport: { md5: true } }],
      authToken: "abc",
      tokens: 3,
    };
    assert.deepEqual(redactSecrets(doc), {
      peers: [{ key: "k", password: "<redacted>", transport: { md5: true } }],
      authToken: "<redacted>",
      tokens: 3,
    });
  });

  it("the JSON report never carries a password, even if a document had one", () => {
    const leaky = { ...speakerN1, peers: [{ ...speakerN1.peers[0]!, password: "hunter2secret" }] };
    const json = JSON.stringify(reportJson(mergeStatus([ok("speaker", "a:1", leaky)])));
    assert.doesNotMatch(json, /hunter2secret/);
    assert.match(json, /"ok":true/);
  });

  it("the JSON report merges everything, or one Service", () => {
    const j = reportJson(mergeStatus(all()), "apps/web") as {
      services: { service: string }[];
      speakers: { node: string; reached: boolean }[];
    };
    assert.deepEqual(
      j.services.map((s) => s.service),
      ["apps/web"],
    );
    assert.deepEqual(
      j.speakers.map((s) => [s.node, s.reached]),
      [
        ["n1", true],
        ["n2", true],
      ],
    );
  });
});

describe("targetsFromPods", () => {
  const pod = (
    name: string,
    component: string,
    ip: string | undefined,
    ports: { name?: string; containerPort: number }[],
  ): PodLike => ({
    metadata: {
      name,
      labels: { "app.kubernetes.io/name": "signalbox", "app.kubernetes.io/component": component },
    },
    spec: { nodeName: `node-${name}`, containers: [{ ports }] },
    status: { ...(ip ? { podIP: ip } : {}), phase: ip ? "Running" : "Pending" },
  });

  it("uses the Pod IP and the port named monitoring (deploy/), else status, else the role's default", () => {
    const r = targetsFromPods([
      pod("s1", "speaker", "10.0.0.11", [
        { name: "bgp", containerPort: 179 },
        { name: "monitoring", containerPort: 9473 },
      ]),
      pod("c1", "controller", "10.0.0.3", [{ name: "status", containerPort: 9472 }]),
      pod("s2", "speaker", "fd00::12", []),
      pod("s3", "speaker", undefined, []),
      pod("x", "webhook", "10.0.0.9", []),
    ]);
    assert.deepEqual(r.targets, [
      { role: "controller", pod: "c1", node: "node-c1", address: "10.0.0.3:9472" },
      { role: "speaker", pod: "s1", node: "node-s1", address: "10.0.0.11:9473" },
      { role: "speaker", pod: "s2", node: "node-s2", address: "[fd00::12]:7473" },
    ]);
    assert.equal(r.unreached.length, 1);
    const u = r.unreached[0]!;
    assert.equal(u.ok, false);
    assert.equal(u.target.pod, "s3");
    assert.match(u.ok ? "" : u.error, /no IP yet \(phase Pending\)/);
  });
});

describe("targetsFromPods: a role without Pods", () => {
  it("is an error naming the role, shown in the tables", () => {
    const r = targetsFromPods([
      {
        metadata: { name: "s1", labels: { "app.kubernetes.io/component": "speaker" } },
        status: { podIP: "10.0.0.11" },
      },
    ]);
    assert.deepEqual(r.targets, [{ role: "speaker", pod: "s1", address: "10.0.0.11:7473" }]);
    assert.deepEqual(r.unreached, [
      {
        target: { role: "controller", address: "" },
        ok: false,
        error: "no controller Pod found (label app.kubernetes.io/component=controller)",
      },
    ]);
    const report = mergeStatus([...r.unreached, ok("speaker", "10.0.0.11:7473", speakerN1, { pod: "s1" })]);
    assert.equal(report.unreachable[0]!.who, "controller");
    assert.match(
      renderOverview(report),
      /^Controller: UNREACHABLE: no controller Pod found \(label app\.kubernetes\.io\/component=controller\)$/m,
    );
    const none = mergeStatus(targetsFromPods([]).unreached);
    assert.match(renderOverview(none), /^Speakers: no speaker Pod found/m);
  });
});

describe("helpers", () => {
  it("formatDuration", () => {
    assert.deepEqual([0, 42, 312, 3725, 97200].map(formatDuration), ["0s", "42s", "5m12s", "1h02m", "1d03h"]);
  });
  it("table pads every column but the last", () => {
    assert.deepEqual(table(["A", "Bee", "C"], [["xx", "y", "long last"]]), [
      "A   Bee  C",
      "xx  y    long last",
    ]);
  });
  it("serviceKeyOf", () => {
    assert.equal(serviceKeyOf("apps/web"), "apps/web");
    assert.equal(serviceKeyOf("web"), "default/web");
    assert.equal(serviceKeyOf("a/b/c"), undefined);
    assert.equal(serviceKeyOf("Apps/web"), undefined);
  });
});
