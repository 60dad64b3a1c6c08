/**
 * Builds the lab's network (topology.ts) in namespaces, starts its FRR routers, and on each
 * node the HTTP backend and a standalone signalbox speaker reading its manifest folder.
 */
import { existsSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { FrrRouter } from "./frr.ts";
import type { Daemon, Netns } from "./netns.ts";
import { SIGNALBOX_BIN } from "./paths.ts";
import {
  CLIENT,
  HTTP_PORT,
  NODE_AS,
  NODES,
  type NodeSpec,
  RACKS,
  rackOf,
  SPINE_AS,
  spineDownlink,
  statusAddress,
  torAddress,
  torUplink,
} from "./topology.ts";

const AGENT = new URL(import.meta.url.endsWith(".js") ? "./agent.js" : "./agent.ts", import.meta.url)
  .pathname;

/** argv that runs agent.ts on this Node (the pinned 24 when started through npm or bin/). */
export const agentArgv = (...args: string[]): string[] => [
  process.execPath,
  "--disable-warning=ExperimentalWarning",
  AGENT,
  ...args,
];

const HAS_HASH_SEED = existsSync("/proc/sys/net/ipv4/fib_multipath_hash_seed");
const HAS_HASH_FIELDS = existsSync("/proc/sys/net/ipv4/fib_multipath_hash_fields");

/**
 * ECMP hashing for router `index` (0 the spine). The spine hashes L4 (policy 1): for a
 * forwarded packet that is the hash the client's TCP socket put on it (random per
 * connection), so connections spread. A ToR must not reuse that hash, or it splits only the
 * flows the spine already picked by the same number (polarisation: one of rack r2's nodes
 * then gets almost nothing). So the ToRs hash the 5-tuple themselves (policy 3: addresses,
 * protocol, ports; Linux ≥ 5.12), each with its own seed where the kernel has one (≥ 6.11).
 */
export function multipathHash(index: number): Record<string, string> {
  if (index === 0 || !HAS_HASH_FIELDS) return { "net.ipv4.fib_multipath_hash_policy": "1" };
  return {
    "net.ipv4.fib_multipath_hash_policy": "3",
    // 0x01 source IP, 0x02 destination IP, 0x04 protocol, 0x10 source port, 0x20 destination port.
    "net.ipv4.fib_multipath_hash_fields": "0x0037",
    ...(HAS_HASH_SEED ? { "net.ipv4.fib_multipath_hash_seed": String(7919 * index) } : {}),
  };
}

export const HASH_NOTE = HAS_HASH_FIELDS
  ? "ECMP hashes L4: the spine by the packet's flow hash (policy 1), each ToR by its own hash of the\n5-tuple (policy 3, fields 0x37" +
    (HAS_HASH_SEED ? ", its own seed" : "") +
    "), so the racks do not split by the spine's choice again"
  : "ECMP hashes L4 (policy 1); this kernel (< 5.12) cannot make the ToRs hash differently from the\nspine, so shares inside rack r2 may come out uneven";

export interface Built {
  readonly spineNs: string;
  readonly clientNs: string;
  readonly torNs: ReadonlyMap<string, string>;
  readonly nodeNs: ReadonlyMap<string, string>;
}

/** Namespaces, links, addresses, static routes and sysctls. */
export async function buildNetwork(lab: Netns): Promise<Built> {
  const spineNs = await lab.addNamespace("spine");
  await lab.sysctl(spineNs, multipathHash(0));
  const clientNs = await lab.addNamespace("client");
  await lab.addVeth(
    { ns: spineNs, ifname: "to-client", address: `${CLIENT.spine}/24` },
    { ns: clientNs, ifname: "eth0", address: `${CLIENT.address}/24` },
  );
  await lab.run(clientNs, ["ip", "route", "add", "default", "via", CLIENT.spine]);
  const torNs = new Map<string, string>();
  for (const r of RACKS) {
    const ns = await lab.addNamespace(`tor-${r.name}`);
    torNs.set(r.name, ns);
    await lab.sysctl(ns, multipathHash(RACKS.indexOf(r) + 1));
    await lab.addVeth(
      { ns: spineNs, ifname: `to-${r.name}`, address: `${spineDownlink(r)}/24` },
      { ns, ifname: "uplink", address: `${torUplink(r)}/24` },
    );
    await lab.run(ns, ["ip", "route", "add", "default", "via", spineDownlink(r)]);
    // The spine reaches the rack segments (status endpoints, layer-2 Service IPs) statically.
    await lab.run(spineNs, ["ip", "route", "add", `${r.segment}.0/24`, "via", torUplink(r)]);
    // The rack's segment: a bridge in the ToR's namespace, the ToR's address on it.
    await lab.run(ns, ["ip", "link", "add", "br0", "type", "bridge", "stp_state", "0", "forward_delay", "0"]);
    await lab.run(ns, ["ip", "addr", "add", `${torAddress(r)}/24`, "dev", "br0"]);
    await lab.run(ns, ["ip", "link", "set", "br0", "up"]);
  }
  const nodeNs = new Map<string, string>();
  for (const n of NODES) {
    const ns = await lab.addNamespace(`node-${n.name}`);
    nodeNs.set(n.name, ns);
    const tor = torNs.get(n.rack)!;
    await lab.addVeth(
      { ns: tor, ifname: `port-${n.name}` },
      { ns, ifname: "eth0", address: `${n.address}/24` },
    );
    await lab.run(tor, ["ip", "link", "set", `port-${n.name}`, "master", "br0"]);
    await lab.run(ns, ["ip", "route", "add", "default", "via", torAddress(rackOf(n.rack))]);
    // What kube-proxy's strictARP asks: the kernel accepts Service IPs held on lo but never
    // answers ARP for them; on a layer-2 segment only the elected speaker does.
    await lab.sysctl(ns, {
      "net.ipv4.conf.all.arp_ignore": "1",
      "net.ipv4.conf.all.arp_announce": "2",
    });
  }
  return { spineNs, clientNs, torNs, nodeNs };
}

export async function startRouters(
  lab: Netns,
  net: Built,
): Promise<{ spine: FrrRouter; tors: Map<string, FrrRouter> }> {
  const spine = new FrrRouter(lab, net.spineNs, {
    name: "spine",
    asn: SPINE_AS,
    routerId: CLIENT.spine,
    neighbors: RACKS.map((r) => ({ address: torUplink(r), asn: r.asn, description: `tor-${r.name}` })),
  });
  const tors = new Map<string, FrrRouter>();
  for (const r of RACKS)
    tors.set(
      r.name,
      new FrrRouter(lab, net.torNs.get(r.name)!, {
        name: `tor-${r.name}`,
        asn: r.asn,
        routerId: torUplink(r),
        neighbors: [
          { address: spineDownlink(r), asn: SPINE_AS, description: "spine", toSpine: true },
          ...NODES.filter((n) => n.rack === r.name).map((n) => ({
            address: n.address,
            asn: NODE_AS,
            description: n.name,
          })),
        ],
      }),
    );
  await Promise.all([spine.start(), ...[...tors.values()].map((t) => t.start())]);
  return { spine, tors };
}

/** Writes a manifest atomically (a dot-file, then rename): the speaker never reads half a file. */
export function writeManifest(dir: string, file: string, doc: unknown): void {
  const tmp = join(dir, `.${file}.tmp`);
  writeFileSync(tmp, `${JSON.stringify(doc, null, 2)}\n`);
  renameSync(tmp, join(dir, file));
}

export interface NodeProcs {
  readonly node: NodeSpec;
  readonly dir: string;
  readonly speaker: Daemon;
  readonly backend: Daemon;
}

/** On one node: Service IPs on lo, the manifest folder, the backend and the speaker. */
export async function startNode(
  lab: Netns,
  ns: string,
  node: NodeSpec,
  serviceIps: readonly string[],
  manifests: Record<string, unknown>,
  logLevel: string,
): Promise<NodeProcs> {
  for (const ip of serviceIps) await lab.run(ns, ["ip", "addr", "add", `${ip}/32`, "dev", "lo"]);
  const dir = lab.path(`manifests-${node.name}`);
  mkdirSync(dir, { recursive: true });
  for (const [file, doc] of Object.entries(manifests)) writeManifest(dir, file, doc);
  const backend = lab.spawn(ns, agentArgv("serve", node.name, String(HTTP_PORT)), `${node.name}.backend`);
  const speaker = lab.spawn(
    ns,
    [
      SIGNALBOX_BIN,
      ...["speaker", "--standalone", dir, "--node", node.name],
      ...["--status-address", statusAddress(node), "--bgp-listen", "off", "--log-level", logLevel],
    ],
    `${node.name}.speaker`,
  );
  return { node, dir, speaker, backend };
}
