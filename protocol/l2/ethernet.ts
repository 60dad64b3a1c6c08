import { Reader } from "../reader.ts";
import { err, ok, type Result } from "../result.ts";
import { type L2Error, l2Error } from "./errors.ts";
import { MacAddress } from "./mac.ts";

/** EtherTypes this module knows (IEEE 802 numbers registry). */
export const EtherType = {
  IPv4: 0x0800,
  ARP: 0x0806,
  VLAN: 0x8100,
  IPv6: 0x86dd,
} as const;

/** IEEE 802.1Q tag control information. */
export interface VlanTag {
  /** Priority code point, 0-7. */
  readonly priority: number;
  /** Drop eligible indicator. */
  readonly dropEligible: boolean;
  /** VLAN identifier, 0-4095. */
  readonly id: number;
}

/** An Ethernet II frame (RFC 894), without the FCS, as AF_PACKET delivers and sends it. */
export interface EthernetFrame {
  readonly destination: MacAddress;
  readonly source: MacAddress;
  /** One 802.1Q tag, when the frame carries one (TPID 0x8100). */
  readonly vlan?: VlanTag;
  readonly etherType: number;
  /** Everything after the header, including any padding up to the 60-octet minimum. */
  readonly payload: Uint8Array;
}

/** IEEE 802.3 §3.2.7: 64 octets with the FCS, so 60 without it. */
export const ETHERNET_MIN_FRAME = 60;

export function decodeEthernet(bytes: Uint8Array): Result<EthernetFrame, L2Error> {
  const r = new Reader(bytes);
  const dst = r.view(6);
  const src = r.view(6);
  let type = r.u16();
  if (dst === undefined || src === undefined || type === undefined) return err(l2Error("ethernet-truncated"));
  let vlan: VlanTag | undefined;
  if (type === EtherType.VLAN) {
    const tci = r.u16();
    const inner = r.u16();
    if (tci === undefined || inner === undefined) return err(l2Error("ethernet-truncated", "802.1Q tag"));
    vlan = { priority: tci >>> 13, dropEligible: (tci & 0x1000) !== 0, id: tci & 0x0fff };
    type = inner;
  }
  if (type < 0x0600) return err(l2Error("ethernet-length-field", `0x${type.toString(16)}`));
  const frame: EthernetFrame = {
    destination: MacAddress.fromBytes(dst),
    source: MacAddress.fromBytes(src),
    etherType: type,
    payload: r.rest(),
  };
  return ok(vlan === undefined ? frame : { ...frame, vlan });
}

export interface EncodeEthernetOptions {
  /** Pad with zeros to the 60-octet minimum (IEEE 802.3), as mdlayher/ethernet does for MetalLB. */
  readonly padToMinimum?: boolean;
}

export function encodeEthernet(frame: EthernetFrame, options: EncodeEthernetOptions = {}): Uint8Array {
  const header = frame.vlan === undefined ? 14 : 18;
  const length = header + frame.payload.length;
  const out = new Uint8Array(options.padToMinimum ? Math.max(length, ETHERNET_MIN_FRAME) : length);
  let o = frame.destination.writeTo(out, 0);
  o = frame.source.writeTo(out, o);
  if (frame.vlan !== undefined) {
    const v = frame.vlan;
    const tci = ((v.priority & 7) << 13) | (v.dropEligible ? 0x1000 : 0) | (v.id & 0x0fff);
    out[o++] = EtherType.VLAN >>> 8;
    out[o++] = EtherType.VLAN & 0xff;
    out[o++] = tci >>> 8;
    out[o++] = tci & 0xff;
  }
  out[o++] = frame.etherType >>> 8;
  out[o++] = frame.etherType & 0xff;
  out.set(frame.payload, o);
  return out;
}
