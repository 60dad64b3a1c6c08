import { Reader } from "../reader.ts";
import { err, ok, type Result } from "../result.ts";
import { type L2Error, l2Error } from "./errors.ts";
import { encodeEthernet } from "./ethernet.ts";
import { MacAddress } from "./mac.ts";

/**
 * The speakers' layer-2 heartbeat: how nodes on one segment learn, within a few hundred
 * milliseconds, which of them are alive (src/speaker/l2/README.md). Carried directly in
 * Ethernet on IEEE 802's "Local Experimental EtherType 1" (0x88B5, IEEE Std 802 §9.2.4: for
 * protocols that stay inside one organisation), to a locally administered group address, so
 * it crosses exactly the broadcast domain whose ARP/NDP it arbitrates and no router.
 *
 *   0      2   magic "SB"            8      4   incarnation (random per process start)
 *   2      1   version (1)           12     4   sequence number
 *   3      1   flags                 16     1   node name length N (1-253)
 *   4      2   interval (ms)         17     N   node name (printable ASCII)
 *   6      2   hold time (ms)
 *
 * The hold time is the sender's: receivers count the sender alive while its last heartbeat
 * is younger than it (as a BGP hold time is set by the speaker that must keep it).
 * Octets after the name (Ethernet padding) are ignored.
 */
export const HEARTBEAT_ETHERTYPE = 0x88b5;

/** 03:53:42:00:00:01: group bit and locally administered bit set, "SB". */
export const HEARTBEAT_GROUP: MacAddress = new MacAddress(0x0353, 0x42000001);

export const HEARTBEAT_VERSION = 1;
const MAGIC = 0x5342; // "SB"
const FIXED = 17;

export const HeartbeatFlag = {
  /** The sender has finished warming up and takes part in elections. */
  Ready: 0x01,
  /** The sender is shutting down: count it dead at once (memberlist's Leave). */
  Leaving: 0x02,
} as const;

export interface Heartbeat {
  readonly node: string;
  readonly incarnation: number;
  readonly sequence: number;
  readonly intervalMs: number;
  readonly holdMs: number;
  readonly ready: boolean;
  readonly leaving: boolean;
}

/** Kubernetes node names are DNS subdomains (≤ 253 octets); anything printable is accepted. */
function validName(name: string): boolean {
  if (name.length < 1 || name.length > 253) return false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

export function encodeHeartbeat(h: Heartbeat): Uint8Array {
  if (!validName(h.node))
    throw new RangeError(`heartbeat node name must be 1-253 printable ASCII: ${h.node}`);
  const out = new Uint8Array(FIXED + h.node.length);
  const v = new DataView(out.buffer);
  v.setUint16(0, MAGIC);
  out[2] = HEARTBEAT_VERSION;
  out[3] = (h.ready ? HeartbeatFlag.Ready : 0) | (h.leaving ? HeartbeatFlag.Leaving : 0);
  v.setUint16(4, Math.min(0xffff, Math.max(0, Math.round(h.intervalMs))));
  v.setUint16(6, Math.min(0xffff, Math.max(0, Math.round(h.holdMs))));
  v.setUint32(8, h.incarnation >>> 0);
  v.setUint32(12, h.sequence >>> 0);
  out[16] = h.node.length;
  for (let i = 0; i < h.node.length; i++) out[FIXED + i] = h.node.charCodeAt(i);
  return out;
}

/** Decodes the payload of a 0x88B5 frame. Never throws. */
export function decodeHeartbeat(bytes: Uint8Array): Result<Heartbeat, L2Error> {
  const r = new Reader(bytes);
  const magic = r.u16();
  const version = r.u8();
  const flags = r.u8();
  const intervalMs = r.u16();
  const holdMs = r.u16();
  const incarnation = r.u32();
  const sequence = r.u32();
  const length = r.u8();
  if (length === undefined) return err(l2Error("heartbeat-truncated", `${bytes.length} octets`));
  if (magic !== MAGIC) return err(l2Error("heartbeat-magic", `0x${magic!.toString(16)}`));
  if (version !== HEARTBEAT_VERSION) return err(l2Error("heartbeat-version", `version ${version}`));
  const name = r.view(length);
  if (name === undefined) return err(l2Error("heartbeat-truncated", `node name of ${length} octets`));
  const node = String.fromCharCode(...name);
  if (!validName(node)) return err(l2Error("heartbeat-name", JSON.stringify(node)));
  // A hold time of 0, or shorter than the interval, would make the sender flap: refuse it.
  if (intervalMs! === 0 || holdMs! < intervalMs!)
    return err(l2Error("heartbeat-timers", `interval ${intervalMs} ms, hold ${holdMs} ms`));
  return ok({
    node,
    incarnation: incarnation!,
    sequence: sequence!,
    intervalMs: intervalMs!,
    holdMs: holdMs!,
    ready: (flags! & HeartbeatFlag.Ready) !== 0,
    leaving: (flags! & HeartbeatFlag.Leaving) !== 0,
  });
}

/** A heartbeat framed from our MAC to the heartbeat group, padded to the Ethernet minimum. */
export function heartbeatFrame(ourMac: MacAddress, h: Heartbeat): Uint8Array {
  return encodeEthernet(
    {
      destination: HEARTBEAT_GROUP,
      source: ourMac,
      etherType: HEARTBEAT_ETHERTYPE,
      payload: encodeHeartbeat(h),
    },
    { padToMinimum: true },
  );
}
