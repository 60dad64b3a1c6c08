/**
 * A shared Ethernet segment (a switch) and a hand-driven clock, for layer-2 runtime tests.
 * Frames are queued and delivered by `flush()` (or by the clock after every timer), through
 * the same BPF program the kernel runs (netsys-fake's interpreter), never to the sender.
 */
import { MacAddress } from "../../../../protocol/l2/index.ts";
import type { LinkInfo } from "../../../../src/platform/links.ts";
import type { FrameHandler, PacketSocketLike, PacketSocketOptions } from "../../../../src/platform/netsys.ts";
import { runBpf } from "../../../../src/platform/netsys-fake.ts";
import type { Clock } from "../../../../src/speaker/bgp/clock.ts";

export class FakeClock implements Clock {
  t = 1000;
  private seq = 0;
  private readonly timers = new Map<number, { at: number; fn: () => void }>();
  afterEach: () => void = () => {};
  now(): number {
    return this.t;
  }
  wallNow(): number {
    return 1_800_000_000_000 + this.t;
  }
  setTimer(ms: number, fn: () => void): unknown {
    const id = ++this.seq;
    this.timers.set(id, { at: this.t + ms, fn });
    return id;
  }
  clearTimer(h: unknown): void {
    this.timers.delete(h as number);
  }
  /** Runs every timer due within `ms`, in time order, flushing frames after each. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      let next: [number, { at: number; fn: () => void }] | undefined;
      for (const e of this.timers)
        if (e[1].at <= end && (next === undefined || e[1].at < next[1].at)) next = e;
      if (next === undefined) break;
      this.timers.delete(next[0]);
      this.t = Math.max(this.t, next[1].at);
      next[1].fn();
      this.afterEach();
    }
    this.t = end;
    this.afterEach();
  }
}

export interface Station {
  readonly name: string;
  readonly mac: MacAddress;
  /** Frames this station received (all of them, unfiltered), for assertions. */
  readonly inbox: Uint8Array[];
  /** Cable pulled: sends nothing, receives nothing. */
  unplugged: boolean;
  /** Frames from these MACs are dropped on the way in (a one-way fault). */
  readonly deaf: Set<string>;
  readonly sockets: Set<FakeSocket>;
}

export class FakeSocket implements PacketSocketLike {
  readonly ifindex: number;
  closed = false;
  handler: FrameHandler | undefined;
  readonly memberships = new Set<string>();
  private readonly seg: Segment;
  readonly station: Station;
  readonly filter: Uint8Array | undefined;
  constructor(seg: Segment, station: Station, o: PacketSocketOptions) {
    this.seg = seg;
    this.station = station;
    this.ifindex = o.ifindex ?? 1;
    this.filter = o.filter;
  }
  onFrame(h: FrameHandler): void {
    this.handler = h;
  }
  send(frame: Uint8Array): void {
    if (this.closed) throw new Error("closed");
    this.seg.transmit(this.station, Uint8Array.from(frame));
  }
  addMembership(mac: Uint8Array): void {
    this.memberships.add(String(MacAddress.fromBytes(mac)));
  }
  dropMembership(mac: Uint8Array): void {
    this.memberships.delete(String(MacAddress.fromBytes(mac)));
  }
  close(): void {
    this.closed = true;
    this.station.sockets.delete(this);
  }
}

export class Segment {
  readonly stations = new Map<string, Station>();
  private readonly queue: { from: Station; frame: Uint8Array }[] = [];

  add(name: string, mac: string): Station {
    const s: Station = {
      name,
      mac: MacAddress.of(mac),
      inbox: [],
      unplugged: false,
      deaf: new Set(),
      sockets: new Set(),
    };
    this.stations.set(name, s);
    return s;
  }

  transmit(from: Station, frame: Uint8Array): void {
    if (!from.unplugged) this.queue.push({ from, frame });
  }

  /** Delivers queued frames (and those sent in reaction) until none is left. */
  flush(): void {
    for (let guard = 0; this.queue.length > 0; guard++) {
      if (guard > 100_000) throw new Error("frame storm");
      const { from, frame } = this.queue.shift()!;
      for (const st of this.stations.values()) {
        if (st === from || st.unplugged || st.deaf.has(String(from.mac))) continue;
        st.inbox.push(frame);
        for (const sock of [...st.sockets]) {
          const keep = sock.filter === undefined ? frame.length : runBpf(sock.filter, frame);
          if (keep > 0) sock.handler?.(frame.slice(0, keep), 0);
        }
      }
    }
  }

  /** A Netsys door for the node whose interface is `station` (only openPacket is used). */
  netsys(station: Station): { openPacket(o: PacketSocketOptions): FakeSocket } {
    return {
      openPacket: (o) => {
        const s = new FakeSocket(this, station, o);
        station.sockets.add(s);
        return s;
      },
    };
  }
}

/** One up Ethernet interface `eth0` with this MAC and address. */
export function ethLinks(
  mac: MacAddress,
  cidrs: string[] = ["192.168.1.10/24", "fd00:1::10/64"],
): LinkInfo[] {
  return [
    {
      name: "lo",
      index: 1,
      mac: "00:00:00:00:00:00",
      flags: 0x49,
      operstate: "unknown",
      enslaved: false,
      cidrs: ["127.0.0.1/8"],
    },
    { name: "eth0", index: 2, mac: String(mac), flags: 0x1003, operstate: "up", enslaved: false, cidrs },
  ];
}
