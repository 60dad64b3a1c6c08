/**
 * signalbox layer-2 wire layer: the frames the ARP/NDP responder reads and writes, and the
 * decision what to answer. Pure: no I/O, no clock, no logger (DESIGN.md); the packet socket
 * lives in src/platform, the responder in src/speaker/l2. Implemented, in the part a
 * responder for addresses it does not hold on an interface needs:
 *
 *   RFC 826   ARP (Ethernet / IPv4)             RFC 894   IPv4 over Ethernet (Ethernet II)
 *   RFC 1071  Internet checksum                 RFC 2464  IPv6 over Ethernet (§6 LLA option, §7 multicast)
 *   RFC 4291  IPv6 addressing (§2.7.1 solicited-node)
 *   RFC 4443  ICMPv6 (§2.1 header, §2.3 checksum)
 *   RFC 4861  Neighbor Discovery (§4.3 NS, §4.4 NA, §4.6 options, §7.1.1 validation,
 *             §7.2.4 solicited NA, §7.2.6 unsolicited NA)
 *   RFC 5227  IPv4 address conflict detection (§3 announcements: gratuitous ARP)
 *   RFC 8200  IPv6 (§3 header, §8.1 upper-layer checksum)
 *   IEEE 802.1Q  one VLAN tag, decoded and encoded
 *   Linux classic BPF (struct sock_filter) for SO_ATTACH_FILTER
 *   IEEE Std 802 §9.2.4  Local Experimental EtherType 0x88B5: the speakers' heartbeat
 */
export * from "./arp.ts";
export * from "./bpf.ts";
export * from "./checksum.ts";
export * from "./errors.ts";
export * from "./ethernet.ts";
export * from "./heartbeat.ts";
export * from "./icmpv6.ts";
export * from "./ipv6.ts";
export * from "./mac.ts";
export * from "./ndp.ts";
export * from "./respond.ts";
