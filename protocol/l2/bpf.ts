import { EtherType } from "./ethernet.ts";
import { HEARTBEAT_ETHERTYPE } from "./heartbeat.ts";
import { Icmpv6Type } from "./icmpv6.ts";
import { NextHeader } from "./ipv6.ts";

/** Classic BPF opcodes used here (linux/filter.h, linux/bpf_common.h). */
export const BpfOp = {
  /** BPF_LD | BPF_H | BPF_ABS: A = 16-bit big-endian word at k. */
  LdAbsHalf: 0x28,
  /** BPF_LD | BPF_B | BPF_ABS: A = octet at k. */
  LdAbsByte: 0x30,
  /** BPF_JMP | BPF_JEQ | BPF_K: pc += (A == k) ? jt : jf. */
  JeqK: 0x15,
  /** BPF_RET | BPF_K: accept k octets of the packet (0 = drop). */
  RetK: 0x06,
} as const;

/** One `struct sock_filter` instruction. */
export interface BpfInstruction {
  readonly code: number;
  readonly jt: number;
  readonly jf: number;
  readonly k: number;
}

/** Octets to keep of an accepted frame: all of it (tcpdump's default snap length). */
export const BPF_ACCEPT_LENGTH = 0x40000;

// Offsets in an untagged Ethernet II frame (RFC 894, RFC 826, RFC 8200 §3, RFC 4443 §2.1).
const ETHERTYPE_AT = 12;
const ARP_OP_AT = 14 + 6;
const IPV6_NEXT_HEADER_AT = 14 + 6;
const ICMPV6_TYPE_AT = 14 + 40;

/**
 * The filter the packet socket attaches: the speakers' heartbeats (EtherType 0x88B5,
 * heartbeat.ts), ARP requests (EtherType 0x0806, op 1) and ICMPv6 Neighbor Solicitations
 * directly after the IPv6 header (EtherType 0x86DD, Next Header 58, type 135); everything
 * else, extension headers included, is dropped in the kernel. Frames too short for a load are
 * dropped too (the kernel returns 0 on an out-of-range load). Validation stays in TypeScript
 * so invalid NS and heartbeats are counted, not silently filtered.
 */
export function neighborFilter(): BpfInstruction[] {
  const I = (code: number, k: number, jt = 0, jf = 0): BpfInstruction => ({ code, jt, jf, k });
  return [
    /* 0 */ I(BpfOp.LdAbsHalf, ETHERTYPE_AT),
    /* 1 */ I(BpfOp.JeqK, HEARTBEAT_ETHERTYPE, 8, 0), // heartbeat → 10
    /* 2 */ I(BpfOp.JeqK, EtherType.ARP, 0, 2), // else → 5
    /* 3 */ I(BpfOp.LdAbsHalf, ARP_OP_AT),
    /* 4 */ I(BpfOp.JeqK, 1, 5, 6), // op == request → 10, else → 11
    /* 5 */ I(BpfOp.JeqK, EtherType.IPv6, 0, 5),
    /* 6 */ I(BpfOp.LdAbsByte, IPV6_NEXT_HEADER_AT),
    /* 7 */ I(BpfOp.JeqK, NextHeader.ICMPv6, 0, 3),
    /* 8 */ I(BpfOp.LdAbsByte, ICMPV6_TYPE_AT),
    /* 9 */ I(BpfOp.JeqK, Icmpv6Type.NeighborSolicitation, 0, 1),
    /* 10 */ I(BpfOp.RetK, BPF_ACCEPT_LENGTH),
    /* 11 */ I(BpfOp.RetK, 0),
  ];
}

/**
 * A program as the bytes of a `struct sock_filter[]` (u16 code, u8 jt, u8 jf, u32 k), in the
 * host's byte order: little-endian on x86_64 and arm64, which is what the kernel reads
 * through SO_ATTACH_FILTER. The native side wraps it in a `struct sock_fprog` (length =
 * bytes / 8).
 */
export function encodeBpfProgram(program: readonly BpfInstruction[], littleEndian = true): Uint8Array {
  const out = new Uint8Array(program.length * 8);
  const view = new DataView(out.buffer);
  program.forEach((ins, i) => {
    view.setUint16(i * 8, ins.code, littleEndian);
    view.setUint8(i * 8 + 2, ins.jt);
    view.setUint8(i * 8 + 3, ins.jf);
    view.setUint32(i * 8 + 4, ins.k >>> 0, littleEndian);
  });
  return out;
}

/** The neighbor filter, ready for SO_ATTACH_FILTER on a little-endian host. */
export function neighborFilterBytes(): Uint8Array {
  return encodeBpfProgram(neighborFilter());
}
