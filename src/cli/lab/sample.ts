/**
 * The lab's sample cluster: one MetalLB-format ConfigMap (our additions: rack-balance,
 * link-bandwidth), three LoadBalancer Services, the Nodes with their rack label and the
 * EndpointSlices, and the allocation of the Services' IPs by the allocator the controller
 * uses (`reconcile()`), since standalone speakers have no controller.
 */
import { parseConfig } from "../../config/index.ts";
import { reconcile, type ServiceLike } from "../../ipam/index.ts";
import { HTTP_PORT, NODE_AS, NODES, RACKS, torAddress, ZONE_LABEL } from "./topology.ts";

export const BGP_POOL = "public";
export const L2_POOL = "rack2-l2";

/** The config YAML (`data.config`); `linkBandwidth` turns on weighted announcements. */
export function configYaml(linkBandwidth: boolean): string {
  const peers = RACKS.flatMap((r) => [
    `- peer-address: ${torAddress(r)}`,
    `  peer-asn: ${r.asn}`,
    `  my-asn: ${NODE_AS}`,
    "  hold-time: 9s",
    "  node-selectors:",
    `  - match-labels: { ${ZONE_LABEL}: ${r.name} }`,
  ]);
  return [
    "peers:",
    ...peers,
    "address-pools:",
    `- name: ${BGP_POOL}`,
    "  protocol: bgp",
    "  addresses: [198.51.100.0/28]",
    "  avoid-buggy-ips: true",
    ...(linkBandwidth ? ["  link-bandwidth: endpoints"] : []),
    `- name: ${L2_POOL}`,
    "  protocol: layer2",
    "  addresses: [10.77.12.240-10.77.12.250]",
    "  auto-assign: false",
    "rack-balance:",
    `  rack-label: ${ZONE_LABEL}`,
    "  imbalance-threshold: 1.5",
    "",
  ].join("\n");
}

export function configMap(linkBandwidth: boolean): unknown {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { namespace: "metallb-system", name: "config" },
    data: { config: configYaml(linkBandwidth) },
  };
}

export interface SampleService {
  readonly name: string;
  readonly policy: "Local" | "Cluster";
  readonly pool?: string;
  /** Serving endpoints per node. */
  readonly endpoints: Readonly<Record<string, number>>;
  readonly what: string;
}

export const SERVICES: readonly SampleService[] = [
  {
    name: "web",
    policy: "Local",
    endpoints: { n1: 1, n2: 1, n3: 1, n4: 2 },
    what: "BGP, Local, uneven endpoints: the weighting demo",
  },
  {
    name: "api",
    policy: "Cluster",
    endpoints: { n1: 1, n2: 1, n3: 1, n4: 1 },
    what: "BGP, Cluster: every node announces",
  },
  {
    name: "intranet",
    policy: "Local",
    pool: L2_POOL,
    endpoints: { n3: 1, n4: 1 },
    what: "layer 2 on rack r2's segment: one node answers ARP",
  },
];

function serviceObject(s: SampleService, ip?: string): ServiceLike & Record<string, unknown> {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: {
      name: s.name,
      namespace: "default",
      ...(s.pool ? { annotations: { "metallb.universe.tf/address-pool": s.pool } } : {}),
    },
    spec: {
      type: "LoadBalancer",
      externalTrafficPolicy: s.policy,
      selector: { app: s.name },
      ports: [{ name: "http", protocol: "TCP", port: HTTP_PORT }],
    },
    status: { loadBalancer: ip ? { ingress: [{ ip }] } : {} },
  };
}

export interface Allocation {
  readonly service: SampleService;
  readonly ip: string;
  readonly pool: string;
}

/** The IPs the controller would give the sample Services: reconcile() over the config's pools. */
export function allocate(): Allocation[] {
  const parsed = parseConfig(configYaml(false));
  if (!parsed.ok) throw new Error(`the sample config is invalid: ${JSON.stringify(parsed.errors)}`);
  const r = reconcile(
    parsed.config.addressPools,
    SERVICES.map((s) => serviceObject(s)),
  );
  if (r.failures.length > 0 || r.invalid.length > 0)
    throw new Error(`allocation failed: ${JSON.stringify([...r.failures, ...r.invalid])}`);
  return SERVICES.map((s) => {
    const a = r.assignments.find((x) => x.service === `default/${s.name}`);
    if (a === undefined || a.addresses.length === 0) throw new Error(`default/${s.name} got no IP`);
    return { service: s, ip: a.addresses[0]!.toString(), pool: a.pool ?? "-" };
  });
}

/** Nodes, Services with their ingress IPs, EndpointSlices: the same on every node. */
export function clusterObjects(allocations: readonly Allocation[]): unknown {
  const nodes = NODES.map((n) => ({
    apiVersion: "v1",
    kind: "Node",
    metadata: { name: n.name, labels: { [ZONE_LABEL]: n.rack, "kubernetes.io/hostname": n.name } },
  }));
  let pod = 0;
  const slices = allocations.map(({ service: s }) => ({
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: {
      name: `${s.name}-1`,
      namespace: "default",
      labels: { "kubernetes.io/service-name": s.name },
    },
    addressType: "IPv4",
    ports: [{ name: "http", protocol: "TCP", port: HTTP_PORT }],
    endpoints: NODES.flatMap((n) =>
      Array.from({ length: s.endpoints[n.name] ?? 0 }, () => {
        pod++;
        return {
          addresses: [`10.244.${pod >> 8}.${pod & 255}`],
          conditions: { ready: true },
          nodeName: n.name,
        };
      }),
    ),
  }));
  return {
    apiVersion: "v1",
    kind: "List",
    items: [...nodes, ...allocations.map((a) => serviceObject(a.service, a.ip)), ...slices],
  };
}
