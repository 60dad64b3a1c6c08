/**
 * The lab's network, as data: a spine, two racks with a ToR each (rack r1: one node, rack r2:
 * three), and a client behind the spine. Every address lies inside the lab's namespaces.
 *
 *                      client 10.77.0.2
 *                         |
 *                   spine (AS 65000) 10.77.0.1
 *                 /                         \
 *     10.77.1.2 tor-r1 (AS 65001)    tor-r2 (AS 65002) 10.77.2.2
 *        br0 10.77.11.1/24              br0 10.77.12.1/24
 *            |                        /       |       \
 *       n1 .11.11               n2 .12.12  n3 .12.13  n4 .12.14      (signalbox, AS 64600)
 *
 * Each rack is one segment (a bridge in its ToR's namespace), so layer 2 works on it too.
 */

export const SPINE_AS = 65000;
export const NODE_AS = 64600;
export const ZONE_LABEL = "topology.kubernetes.io/zone";
export const HTTP_PORT = 8080;
export const STATUS_PORT = 7473;

export interface RackSpec {
  readonly name: "r1" | "r2";
  readonly asn: number;
  /** The spine–ToR link: spine .1, ToR .2. */
  readonly uplinkNet: string;
  /** The rack segment (/24): ToR .1 on its bridge, nodes on it. */
  readonly segment: string;
}

export interface NodeSpec {
  readonly name: string;
  readonly rack: RackSpec["name"];
  readonly address: string;
}

export const RACKS: readonly RackSpec[] = [
  { name: "r1", asn: 65001, uplinkNet: "10.77.1", segment: "10.77.11" },
  { name: "r2", asn: 65002, uplinkNet: "10.77.2", segment: "10.77.12" },
];

export const NODES: readonly NodeSpec[] = [
  { name: "n1", rack: "r1", address: "10.77.11.11" },
  { name: "n2", rack: "r2", address: "10.77.12.12" },
  { name: "n3", rack: "r2", address: "10.77.12.13" },
  { name: "n4", rack: "r2", address: "10.77.12.14" },
];

export const CLIENT = { address: "10.77.0.2", spine: "10.77.0.1" } as const;

export const rackOf = (name: string): RackSpec => RACKS.find((r) => r.name === name)!;
export const torAddress = (rack: RackSpec): string => `${rack.segment}.1`;
export const torUplink = (rack: RackSpec): string => `${rack.uplinkNet}.2`;
export const spineDownlink = (rack: RackSpec): string => `${rack.uplinkNet}.1`;
export const statusAddress = (n: NodeSpec): string => `${n.address}:${STATUS_PORT}`;
