import type { Family } from "../../../protocol/ip/index.ts";
import { IpAddress, type IpRange, Prefix } from "../../../protocol/ip/index.ts";
import type { AllocationRequest, IpamPool, Sharing } from "../../../src/ipam/index.ts";
import { prefixRange } from "../../../src/ipam/index.ts";

export const ip = (text: string): IpAddress => IpAddress.of(text);

/** "10.0.0.0/24" or "10.0.0.1-10.0.0.9". */
export function range(text: string): IpRange {
  if (text.includes("/")) return prefixRange(Prefix.from(text));
  const [a, b] = text.split("-");
  return { first: ip(a!), last: ip(b!) };
}

export function pool(
  name: string,
  ranges: string[],
  opts: { autoAssign?: boolean; avoidBuggyIps?: boolean } = {},
): IpamPool {
  return {
    name,
    ranges: ranges.map(range),
    autoAssign: opts.autoAssign ?? true,
    avoidBuggyIps: opts.avoidBuggyIps ?? false,
  };
}

export function req(
  service: string,
  over: Partial<Omit<AllocationRequest, "addresses">> & { ips?: string[] } = {},
): AllocationRequest {
  const { ips, ...rest } = over;
  const addresses = (ips ?? []).map(ip);
  return {
    service,
    families: (addresses.length > 0 ? addresses.map((a) => a.family) : [4]) as Family[],
    policy: "SingleStack",
    pool: undefined,
    sharing: undefined,
    ...rest,
    addresses,
  };
}

export function share(
  key: string,
  ports: (number | [string, number])[] = [80],
  backend = "Cluster",
): Sharing {
  return {
    key,
    backend,
    ports: ports.map((p) =>
      typeof p === "number" ? { protocol: "TCP", port: p } : { protocol: p[0], port: p[1] },
    ),
  };
}

export const texts = (addresses: readonly IpAddress[]): string[] => addresses.map(String);
