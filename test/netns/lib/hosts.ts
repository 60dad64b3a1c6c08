// Client-host tools for the layer 2 tests: arping (IPv4/ARP), ndisc6 (IPv6/NDP), ping, and
// packet capture with tcpdump. Every call is bounded.

import { join } from "node:path";
import type { Daemon, Lab } from "./netns.ts";
import { waitFor } from "./wait.ts";

export interface ArpingResult {
  /** Replies received. */
  replies: number;
  /** MAC addresses that answered, in order of first answer (lower case). */
  macs: string[];
  output: string;
}

/** `arping -c count -w …` for `ip` out of `ifname`; never throws on no answer. */
export async function arping(
  lab: Lab,
  ns: string,
  ifname: string,
  ip: string,
  options: { count?: number; timeoutSec?: number } = {},
): Promise<ArpingResult> {
  const count = options.count ?? 1;
  const wait = options.timeoutSec ?? Math.max(2, count + 1);
  const r = await lab.exec(ns, ["arping", "-c", String(count), "-w", String(wait), "-i", ifname, ip], {
    timeoutMs: (wait + 3) * 1000,
  });
  const macs: string[] = [];
  let replies = 0;
  for (const m of r.stdout.matchAll(/bytes from ([0-9a-f]{2}(?::[0-9a-f]{2}){5})/gi)) {
    replies++;
    const mac = m[1]!.toLowerCase();
    if (!macs.includes(mac)) macs.push(mac);
  }
  return { replies, macs, output: r.stdout + r.stderr };
}

/** Neighbour Solicitation for `ip` on `ifname` with ndisc6; returns the MAC that answered. */
export async function ndisc(
  lab: Lab,
  ns: string,
  ifname: string,
  ip: string,
  options: { retries?: number; waitMs?: number } = {},
): Promise<string | undefined> {
  const retries = options.retries ?? 3;
  const waitMs = options.waitMs ?? 1000;
  const r = await lab.exec(
    ns,
    ["ndisc6", "-q", "-1", "-r", String(retries), "-w", String(waitMs), ip, ifname],
    {
      timeoutMs: retries * waitMs + 3000,
    },
  );
  const mac = /([0-9a-f]{2}(?::[0-9a-f]{2}){5})/i.exec(r.stdout)?.[1];
  return mac?.toLowerCase();
}

/** Pings; returns the number of replies (0 when none; never throws on loss). */
export async function ping(
  lab: Lab,
  ns: string,
  ip: string,
  options: { count?: number; waitSec?: number; interval?: number } = {},
): Promise<number> {
  const count = options.count ?? 1;
  const waitSec = options.waitSec ?? 1;
  const argv = ["ping", ip.includes(":") ? "-6" : "-4", "-n", "-c", String(count), "-W", String(waitSec)];
  if (options.interval !== undefined) argv.push("-i", String(options.interval));
  argv.push(ip);
  const r = await lab.exec(ns, argv, { timeoutMs: (count * (options.interval ?? 1) + waitSec + 3) * 1000 });
  return Number(/(\d+) received/.exec(r.stdout)?.[1] ?? 0);
}

/** Flushes the neighbour table (ARP and NDP) of an interface. */
export async function flushNeighbours(lab: Lab, ns: string, ifname: string): Promise<void> {
  await lab.run(ns, ["ip", "neigh", "flush", "dev", ifname]);
}

export interface Capture {
  file: string;
  daemon: Daemon;
  /** Stops tcpdump (SIGTERM flushes the file) and returns the pcap path. */
  stop(): Promise<string>;
}

/** Starts tcpdump on `ifname` writing a pcap; resolves once it is listening. */
export async function capture(lab: Lab, ns: string, ifname: string, filter: string[] = []): Promise<Capture> {
  const file = join(lab.dir, `${ns.slice(lab.prefix.length)}.${ifname}.${Date.now()}.pcap`);
  const daemon = lab.spawn(ns, ["tcpdump", "-n", "-U", "-i", ifname, "-w", file, ...filter]);
  await waitFor(
    () => {
      if (!daemon.running) throw new Error(`tcpdump exited: ${daemon.logTail(5)}`);
      return daemon.logTail(5).includes("listening on");
    },
    { what: `tcpdump listening on ${ifname} in ${ns}`, timeoutMs: 5000, intervalMs: 50 },
  );
  return {
    file,
    daemon,
    async stop() {
      await daemon.stop(2000);
      return file;
    },
  };
}
