/**
 * Why a frame could not be decoded: one table (kind → text, RFC section), from which the
 * `L2ErrorKind` type derives. Decoders return these in a Result and never throw.
 */
export const L2ErrorKinds = {
  "ethernet-truncated": { text: "frame shorter than its Ethernet header", rfc: "RFC 894" },
  "ethernet-length-field": {
    text: "type/length field below 0x0600 is an IEEE 802.3 length, not an Ethernet II type",
    rfc: "RFC 894",
  },
  "arp-truncated": { text: "ARP packet shorter than its fields", rfc: "RFC 826" },
  "arp-unsupported": {
    text: "ARP hardware/protocol is not Ethernet (1, 6 octets) / IPv4 (0x0800, 4 octets)",
    rfc: "RFC 826",
  },
  "ipv6-truncated": { text: "packet shorter than the 40-octet IPv6 header", rfc: "RFC 8200 §3" },
  "ipv6-version": { text: "IP version field is not 6", rfc: "RFC 8200 §3" },
  "ipv6-payload-length": { text: "Payload Length runs past the end of the frame", rfc: "RFC 8200 §3" },
  "icmpv6-truncated": { text: "ICMPv6 message shorter than its 4-octet header", rfc: "RFC 4443 §2.1" },
  "ndp-truncated": { text: "NDP message shorter than its fixed fields", rfc: "RFC 4861 §4.3, §4.4" },
  "ndp-option-length-zero": { text: "an NDP option has length 0", rfc: "RFC 4861 §4.6" },
  "ndp-option-overrun": { text: "an NDP option runs past the end of the message", rfc: "RFC 4861 §4.6" },
  "heartbeat-truncated": { text: "heartbeat shorter than its fields", rfc: "signalbox heartbeat" },
  "heartbeat-magic": { text: 'heartbeat does not start with "SB"', rfc: "signalbox heartbeat" },
  "heartbeat-version": { text: "heartbeat version is not 1", rfc: "signalbox heartbeat" },
  "heartbeat-name": { text: "heartbeat node name is not 1-253 printable ASCII", rfc: "signalbox heartbeat" },
  "heartbeat-timers": {
    text: "heartbeat interval is 0 or its hold time is shorter than the interval",
    rfc: "signalbox heartbeat",
  },
} as const;

export type L2ErrorKind = keyof typeof L2ErrorKinds;

export interface L2Error {
  readonly kind: L2ErrorKind;
  /** Human text for logs and status. */
  readonly reason: string;
}

export function l2Error(kind: L2ErrorKind, detail?: string): L2Error {
  const k = L2ErrorKinds[kind];
  return { kind, reason: `${k.text} (${k.rfc})${detail === undefined ? "" : `: ${detail}`}` };
}
