import { networkInterfaces } from "node:os";
import { IpAddress } from "../../protocol/ip/index.ts";

/** The host's global IPv4 addresses, in interface order (loopback and link-local left out). */
export function hostIpv4Addresses(): IpAddress[] {
  const out: IpAddress[] = [];
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) {
      if (a.family !== "IPv4" || a.internal) continue;
      const ip = IpAddress.parse(a.address);
      // 169.254.0.0/16 is link-local (RFC 3927): not an identifier anyone should see.
      if (ip !== undefined && ip.w0 >>> 16 !== 0xa9fe) out.push(ip);
    }
  }
  return out;
}
