/**
 * `/status` documents shaped exactly like the real ones: captured from a controller and two
 * speakers on the real API (test/k8s harness), then extended by hand with what that run had
 * not (an Established session, layer 2, a Service of another class). Typed with the real
 * status types, so a change of shape in src/ fails the type check here.
 */
import type { ControllerDoc, SpeakerDoc } from "../../../src/cli/status-view.ts";

const informers = ["configmap", "nodes", "services", "endpointslices"].map((kind) => ({
  kind,
  synced: true,
  watching: true,
  objects: 1,
  restarts: 0,
  lists: 1,
}));
const source = { api: "https://127.0.0.1:46095", informers, synced: true, connected: true, snapshots: 5 };
const counters = () => ({ open: 0, update: 0, notification: 0, keepalive: 0, routeRefresh: 0 });

export const controllerDoc: ControllerDoc = {
  role: "controller",
  identity: "signalbox-controller-7d9f-abcde",
  leaderElection: {
    lease: "signalbox-system/signalbox-controller",
    identity: "signalbox-controller-7d9f-abcde",
    leading: true,
    holder: "signalbox-controller-7d9f-abcde",
    transitions: 0,
    lastError: undefined,
  },
  api: source,
  leader: true,
  config: { state: "valid", origin: "signalbox-system/config (data.config)", warnings: [] },
  pools: [
    {
      name: "web",
      protocol: "bgp",
      autoAssign: true,
      cidrs: ["192.0.2.0/28"],
      ipv4: { size: 16, used: 2, free: 14 },
      ipv6: { size: 0, used: 0, free: 0 },
    },
    {
      name: "lan",
      protocol: "layer2",
      autoAssign: false,
      cidrs: ["198.51.100.64/29"],
      ipv4: { size: 8, used: 1, free: 7 },
      ipv6: { size: 0, used: 0, free: 0 },
    },
  ],
  services: [
    { service: "apps/lan", ips: ["198.51.100.64"], pool: "lan" },
    { service: "apps/local", ips: ["192.0.2.0"], pool: "web" },
    { service: "apps/web", ips: ["192.0.2.1"], pool: "web" },
  ],
  problems: [
    {
      service: "apps/pinned",
      reason: "AllocationFailed",
      message: "cannot use 203.0.113.9: it lies in no configured address pool",
    },
  ],
  orphans: [],
  writes: { done: 3, failed: 0, queued: 0, pending: 0, lastError: undefined },
  passes: 4,
  allocationFailures: 1,
  events: { sent: 4, queued: 0, dropped: 0, failed: 0 },
};

export const standbyDoc: ControllerDoc = {
  ...controllerDoc,
  identity: "signalbox-controller-7d9f-fghij",
  leaderElection: {
    ...(controllerDoc.leaderElection as Exclude<ControllerDoc["leaderElection"], "disabled">),
    identity: "signalbox-controller-7d9f-fghij",
    leading: false,
  },
  leader: false,
};

export const speakerN1: SpeakerDoc = {
  node: "n1",
  config: { state: "valid", origin: "signalbox-system/config (data.config)", warnings: [] },
  listener: undefined,
  peers: [
    {
      key: "127.0.0.1:42555 64500>64501",
      peerAddress: "127.0.0.1",
      peerPort: 42555,
      localAs: 64500,
      peerAs: 64501,
      routerId: "192.0.2.2",
      state: "Connect",
      prefixes: { advertised: { ipv4: 0, ipv6: 0 }, received: 0, desired: 1 },
      messages: { sent: counters(), received: counters() },
      notifications: { sent: {}, received: {} },
      flaps: 0,
      transport: {
        md5: true,
        ttlSecurity: false,
        problem:
          "no answer to 2 TCP connection attempt(s) to 127.0.0.1:42555; TCP MD5 is on: a peer whose key differs, or that has none for us, drops our segments silently (check the password on both sides)",
      },
    },
  ],
  services: [
    {
      service: "apps/lan",
      ips: ["198.51.100.64"],
      announced: false,
      reason: "layer2",
      addresses: [
        { ip: "198.51.100.64", pool: "lan", protocol: "layer2", announced: false, reason: "layer2" },
      ],
    },
    {
      service: "apps/local",
      ips: ["192.0.2.0"],
      announced: false,
      reason: "noLocalEndpoints",
      addresses: [
        { ip: "192.0.2.0", pool: "web", protocol: "bgp", announced: false, reason: "noLocalEndpoints" },
      ],
    },
    {
      service: "apps/other",
      ips: ["10.9.9.9"],
      announced: false,
      reason: "otherClass",
      addresses: [{ ip: "10.9.9.9", announced: false, reason: "otherClass" }],
    },
    { service: "apps/pinned", ips: [], announced: false, reason: "noIngressIp", addresses: [] },
    {
      service: "apps/web",
      ips: ["192.0.2.1"],
      announced: true,
      reason: "announced",
      addresses: [{ ip: "192.0.2.1", pool: "web", protocol: "bgp", announced: true, reason: "announced" }],
    },
  ],
  layer2: {
    ready: true,
    incarnation: 1,
    settings: { intervalMs: 1000, holdMs: 3000 },
    interfaces: [{ name: "eth0", mac: "02:00:00:00:00:01", open: true }],
    members: [{ node: "n2", state: "alive", counted: true, lastHeardMsAgo: 400, via: ["eth0"] }],
    addresses: [
      {
        ip: "198.51.100.64",
        pool: "lan",
        services: ["apps/lan"],
        interfaces: ["eth0"],
        answering: false,
        reason: "notElected",
        winner: "n2",
        home: "n2",
        orphan: false,
        replies: 0,
        gratuitous: 0,
        conflicts: 0,
      },
    ],
    counters: {
      framesReceived: 10,
      heartbeatsSent: 20,
      heartbeatsReceived: 19,
      heartbeatsMalformed: 0,
      heartbeatsWithOurName: 0,
      replies: 0,
      gratuitous: 0,
      sendErrors: 0,
      ignored: {},
      elections: 1,
    },
  },
  balance: {
    rackLabel: "topology.kubernetes.io/zone",
    racksFrom: "label",
    threshold: 1.5,
    notes: [],
    services: [
      {
        service: "apps/web",
        policy: "Cluster",
        unit: "node",
        racks: [{ rack: "tor:127.0.0.1", nodes: 2, endpoints: 0, share: 1, weightedShare: 1 }],
        nodes: [
          { node: "n1", rack: "tor:127.0.0.1", endpoints: 0, share: 0.5, weight: 1, weightedShare: 0.5 },
          { node: "n2", rack: "tor:127.0.0.1", endpoints: 0, share: 0.5, weight: 1, weightedShare: 0.5 },
        ],
        fairShare: 0.5,
        imbalance: 1,
        weightedImbalance: 1,
        linkBandwidth: false,
        pools: ["web"],
        summary: "rack tor:127.0.0.1: 2 nodes take 50% each; imbalance 1× (threshold 1.5)",
        warning: undefined,
      },
    ],
  },
  source,
};

export const speakerN2: SpeakerDoc = {
  ...speakerN1,
  node: "n2",
  listener: { address: ":::179", up: true },
  peers: [
    {
      key: "10.0.0.1:179 64500>64501",
      peerAddress: "10.0.0.1",
      peerPort: 179,
      localAs: 64500,
      peerAs: 64501,
      routerId: "10.0.0.12",
      state: "Established",
      establishedSince: "2026-11-27T20:05:00.000Z",
      uptimeSeconds: 3725,
      holdTime: 90,
      keepaliveTime: 30,
      capabilities: {
        fourOctetAs: true,
        extendedMessage: false,
        routeRefresh: true,
        enhancedRouteRefresh: false,
        families: ["ipv4-unicast"],
      },
      prefixes: { advertised: { ipv4: 2, ipv6: 0 }, received: 0, desired: 2 },
      messages: { sent: { ...counters(), open: 2, update: 3 }, received: { ...counters(), open: 2 } },
      notifications: { sent: { "6/2": 1 }, received: {} },
      flaps: 1,
      connection: { local: "10.0.0.12:40112", remote: "10.0.0.1:179", initiatedBy: "us" },
      transport: { md5: false, ttlSecurity: false },
      lastError: {
        kind: "notification-received",
        text: "Hold Timer Expired",
        code: 4,
        subcode: 0,
        at: "2026-11-27T20:04:30.000Z",
        description: "Hold Timer Expired",
      },
    },
  ],
  services: [
    {
      service: "apps/lan",
      ips: ["198.51.100.64"],
      announced: false,
      reason: "layer2",
      addresses: [
        { ip: "198.51.100.64", pool: "lan", protocol: "layer2", announced: false, reason: "layer2" },
      ],
    },
    {
      service: "apps/local",
      ips: ["192.0.2.0"],
      announced: true,
      reason: "announced",
      addresses: [{ ip: "192.0.2.0", pool: "web", protocol: "bgp", announced: true, reason: "announced" }],
    },
    {
      service: "apps/other",
      ips: ["10.9.9.9"],
      announced: false,
      reason: "otherClass",
      addresses: [{ ip: "10.9.9.9", announced: false, reason: "otherClass" }],
    },
    { service: "apps/pinned", ips: [], announced: false, reason: "noIngressIp", addresses: [] },
    {
      service: "apps/web",
      ips: ["192.0.2.1"],
      announced: true,
      reason: "announced",
      addresses: [{ ip: "192.0.2.1", pool: "web", protocol: "bgp", announced: true, reason: "announced" }],
    },
  ],
  layer2: {
    ...speakerN1.layer2!,
    addresses: [
      {
        ip: "198.51.100.64",
        pool: "lan",
        services: ["apps/lan"],
        interfaces: ["eth0"],
        answering: true,
        home: "n2",
        orphan: false,
        since: "2026-11-27T20:05:01.000Z",
        replies: 12,
        gratuitous: 5,
        conflicts: 0,
      },
    ],
  },
};

/** A speaker whose ConfigMap is missing: no peers, no Services. */
export const speakerNoConfig: SpeakerDoc = {
  node: "n3",
  config: { state: "missing" },
  listener: undefined,
  peers: [],
  services: [],
  source,
};
