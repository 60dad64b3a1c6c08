/**
 * A tiny classic-BPF interpreter for tests: the four opcodes protocol/l2/bpf.ts uses, run over
 * the bytes of a `struct sock_filter[]` as the kernel would (linux/net/core/filter.c: an
 * out-of-range load ends the program with 0 = drop).
 */
import { BpfOp } from "../../../protocol/l2/index.ts";

export function runBpf(program: Uint8Array, frame: Uint8Array): number {
  const view = new DataView(program.buffer, program.byteOffset, program.byteLength);
  const count = program.length / 8;
  let a = 0;
  for (let pc = 0; pc < count; pc++) {
    const code = view.getUint16(pc * 8, true);
    const jt = view.getUint8(pc * 8 + 2);
    const jf = view.getUint8(pc * 8 + 3);
    const k = view.getUint32(pc * 8 + 4, true);
    switch (code) {
      case BpfOp.LdAbsHalf:
        if (k + 2 > frame.length) return 0;
        a = (frame[k]! << 8) | frame[k + 1]!;
        break;
      case BpfOp.LdAbsByte:
        if (k + 1 > frame.length) return 0;
        a = frame[k]!;
        break;
      case BpfOp.JeqK:
        pc += a === k ? jt : jf;
        break;
      case BpfOp.RetK:
        return k;
      default:
        throw new Error(`opcode 0x${code.toString(16)} not in this interpreter`);
    }
  }
  throw new Error("program fell off its end (the kernel's checker rejects such programs)");
}
