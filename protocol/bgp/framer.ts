import { HEADER_LENGTH } from "./constants.ts";
import type { BgpError } from "./errors.ts";
import { decodeHeader } from "./header.ts";

export interface FrameBatch {
  /**
   * Whole messages, header included, in arrival order. They may be views of the pushed chunk:
   * the caller must not overwrite a chunk it pushed (socket reads hand over fresh buffers).
   */
  readonly frames: Uint8Array[];
  /** Set when a header was bad: the frames before it are still good; the stream is finished. */
  readonly error?: BgpError;
}

/**
 * Cuts a TCP byte stream into BGP messages (RFC 4271 §4.1). Bytes may arrive in any chunking;
 * the frames are the same. The header is checked as soon as its 19 octets are here, so a
 * bogus length is refused before anything waits for or allocates it.
 */
export class Framer {
  /** Set once RFC 8654 extended messages are negotiated. */
  extendedMessage: boolean;
  private pending: Uint8Array | undefined;
  private failed: BgpError | undefined;

  constructor(options: { extendedMessage?: boolean } = {}) {
    this.extendedMessage = options.extendedMessage ?? false;
  }

  push(chunk: Uint8Array): FrameBatch {
    if (this.failed !== undefined) return { frames: [], error: this.failed };
    let buf = chunk;
    if (this.pending !== undefined) {
      buf = new Uint8Array(this.pending.length + chunk.length);
      buf.set(this.pending, 0);
      buf.set(chunk, this.pending.length);
      this.pending = undefined;
    }
    const frames: Uint8Array[] = [];
    let at = 0;
    while (buf.length - at >= HEADER_LENGTH) {
      const h = decodeHeader(buf, at, this.extendedMessage);
      if (!h.ok) {
        this.failed = h.error;
        return { frames, error: h.error };
      }
      if (buf.length - at < h.value.length) break;
      frames.push(buf.subarray(at, at + h.value.length));
      at += h.value.length;
    }
    // The tail is copied so that a partial message never pins a large chunk.
    if (at < buf.length) this.pending = buf.slice(at);
    return { frames };
  }

  /** Octets received but not yet part of a whole message. */
  get buffered(): number {
    return this.pending?.length ?? 0;
  }
}
