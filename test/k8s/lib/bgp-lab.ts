// A ToR for speakers that talk to the test API server: FRR in a network namespace, with one veth
// per "node" whose other end stays in the test's own namespace. The speakers run beside the API
// server (it listens on 127.0.0.1 only) and reach the ToR over their node's veth: each node's
// peer is the ToR's address on that veth, selected for the node by a node selector, so two
// speakers on one host still look like two nodes to the ToR (two next hops, ECMP).
//
// Traffic goes only to addresses inside the ToR namespace; deleting it (Lab.close) deletes
// every veth pair, and with them the host-side addresses and routes.

import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { frr, type Lab } from "../../netns/lib/index.ts";

const execFileP = promisify(execFile);

export interface BgpLab {
  readonly lab: Lab;
  readonly tor: frr.FrrRouter;
  readonly torNs: string;
  /** The node's address on its veth (the next hop the ToR should install). */
  nodeAddress(node: string): string;
  /** The `peers:` section: one peer per node, selected by kubernetes.io/hostname. */
  peersYaml(): string;
}

export const TOR_ASN = 64512;
export const NODE_ASN = 64513;

async function ip(args: string[]): Promise<void> {
  await execFileP("ip", args, { timeout: 5000 });
}

export async function startBgpLab(lab: Lab, nodes: readonly string[]): Promise<BgpLab> {
  const torNs = await lab.addNamespace("tor");
  const addr = new Map<string, { node: string; tor: string }>();
  for (const [i, node] of nodes.entries()) {
    const host = `sb${lab.runId}${i}`;
    const torAddr = `10.210.${i + 1}.1`;
    const nodeAddr = `10.210.${i + 1}.2`;
    await ip(["link", "add", host, "type", "veth", "peer", "name", `n${i}`, "netns", torNs]);
    await ip(["addr", "add", `${nodeAddr}/30`, "dev", host]);
    await ip(["link", "set", host, "up"]);
    await lab.addAddress(torNs, `n${i}`, `${torAddr}/30`);
    await lab.setLink(torNs, `n${i}`, "up");
    addr.set(node, { node: nodeAddr, tor: torAddr });
  }
  const tor = await frr.start(lab, torNs, {
    asn: TOR_ASN,
    routerId: "10.210.0.1",
    multipath: 8,
    neighbors: nodes.map((n) => ({
      address: addr.get(n)!.node,
      peerAs: NODE_ASN,
      holdTime: 9,
      passive: true,
    })),
  });
  return {
    lab,
    tor,
    torNs,
    nodeAddress: (n) => addr.get(n)!.node,
    peersYaml: () =>
      [
        "peers:",
        ...nodes.flatMap((n) => [
          `- peer-address: ${addr.get(n)!.tor}`,
          `  peer-asn: ${TOR_ASN}`,
          `  my-asn: ${NODE_ASN}`,
          "  hold-time: 9s",
          "  node-selectors:",
          "  - match-labels:",
          `      kubernetes.io/hostname: ${n}`,
        ]),
      ].join("\n"),
  };
}

/** The ToR kernel's next hops for a /32 (sorted gateways; [] when no route). */
export async function torNextHops(b: BgpLab, prefix: string): Promise<string[]> {
  const hops = await b.tor.kernelRoutes(prefix);
  return hops.map((h) => h.gateway ?? "?").sort();
}
