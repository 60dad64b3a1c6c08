/**
 * What speaker.ts needs to run layer 2, kept here so its edits there stay one-liners: the
 * options, the runtime with real sockets and interfaces by default, and the plan it takes.
 */
import type { Config } from "../../config/index.ts";
import type { Logger } from "../../observe/logger.ts";
import { type LinkInfo, readSysctl, systemLinks } from "../../platform/links.ts";
import { type Netsys, realNetsys } from "../../platform/netsys.ts";
import type { Clock } from "../bgp/clock.ts";
import type { Desired } from "../plan.ts";
import type { LivenessArbiter } from "./arbiter.ts";
import { type L2Plan, L2Runtime, type L2Settings } from "./runtime.ts";

export type { L2Status } from "./runtime.ts";

export interface SpeakerL2Options {
  /** Default: the native addon (native/build/netsys.node). */
  readonly netsys?: () => Pick<Netsys, "openPacket">;
  /** Default: /sys/class/net and os.networkInterfaces() of this network namespace. */
  readonly links?: () => readonly LinkInfo[];
  /** Default: none (heartbeats alone; see README.md "Split brain"). */
  readonly arbiter?: LivenessArbiter;
  /** Heartbeat interval, hold time, warm-up, … (runtime.ts defaultL2Settings). */
  readonly settings?: Partial<L2Settings>;
  /** Default: /proc/sys of this network namespace. */
  readonly sysctl?: (name: string) => string | undefined;
}

export function newL2Runtime(node: string, logger: Logger, o: SpeakerL2Options, clock?: Clock): L2Runtime {
  return new L2Runtime({
    node,
    logger,
    netsys: o.netsys ?? (() => realNetsys()),
    links: o.links ?? (() => systemLinks()),
    sysctl: o.sysctl ?? (o.links === undefined ? readSysctl : () => undefined),
    ...(o.arbiter ? { arbiter: o.arbiter } : {}),
    ...(o.settings ? { settings: o.settings } : {}),
    ...(clock ? { clock } : {}),
  });
}

export function layer2Plan(config: Config, desired: Desired): L2Plan {
  return {
    eligible: desired.l2,
    cluster: desired.l2Cluster,
    poolInterfaces: new Map(config.addressPools.map((p) => [p.name, p.interfaces])),
  };
}
