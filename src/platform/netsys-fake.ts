/**
 * An in-memory `Netsys` for unit tests: named interfaces with MACs, linked in pairs like a
 * veth, packet sockets that run the same classic BPF program the kernel would (the opcodes
 * protocol/l2's filter uses, plus jumps and returns of A), and the kernel's pkttype. Frames
 * are delivered asynchronously (setImmediate), as from a real socket, and copied, so a test
 * never shares a buffer with the code it tests.
 */
import type { IpAddress } from "../../protocol/ip/index.ts";
import {
  AddressInUseError,
  AddressNotAvailableError,
  type ErrorHandler,
  type FrameHandler,
  LINUX_CONSTANTS,
  type Netsys,
  NetsysArgumentError,
  NetsysPermissionError,
  NoSuchInterfaceError,
  NotFoundError,
  OptionUnsupportedError,
  type PacketSocketLike,
  type PacketSocketOptions,
  PacketType,
  type RevealsSecret,
  SocketClosedError,
  SystemCallError,
} from "./netsys.ts";

/** A TCP socket of the fake: what the kernel would hold for it. */
export interface FakeTcpSocket {
  readonly fd: number;
  readonly family: 4 | 6;
  device: string | undefined;
  bound: { address: string; port: number } | undefined;
  listening: boolean;
  closed: boolean;
  /** RFC 2385 keys by peer address text. The fake keeps them so tests can check them. */
  readonly md5: Map<string, string>;
  /** Integer options by "level:name". */
  readonly options: Map<string, number>;
  /** An accepted connection's SYN TTL, as TCP_SAVED_SYN would give it once (tests set it). */
  savedSynTtl?: number;
}

interface FakeInterface {
  readonly name: string;
  readonly index: number;
  readonly mac: Uint8Array;
  peer: FakeInterface | undefined;
  readonly sockets: Set<FakePacketSocket>;
  /** Frames sent out of this interface, in order. */
  readonly sent: Uint8Array[];
}

const macText = (m: Uint8Array): string => Array.from(m, (b) => b.toString(16).padStart(2, "0")).join(":");

/** Runs a classic BPF program (struct sock_filter[], little-endian) over a frame: octets to keep. */
export function runBpf(program: Uint8Array, frame: Uint8Array): number {
  const view = new DataView(program.buffer, program.byteOffset, program.byteLength);
  const n = program.length / 8;
  let a = 0;
  for (let pc = 0; pc < n; pc++) {
    const code = view.getUint16(pc * 8, true);
    const jt = view.getUint8(pc * 8 + 2);
    const jf = view.getUint8(pc * 8 + 3);
    const k = view.getUint32(pc * 8 + 4, true);
    switch (code) {
      case 0x28: // ld h [k]
        if (k + 2 > frame.length) return 0;
        a = (frame[k]! << 8) | frame[k + 1]!;
        break;
      case 0x30: // ld b [k]
        if (k + 1 > frame.length) return 0;
        a = frame[k]!;
        break;
      case 0x20: // ld w [k]
        if (k + 4 > frame.length) return 0;
        a = ((frame[k]! << 24) | (frame[k + 1]! << 16) | (frame[k + 2]! << 8) | frame[k + 3]!) >>> 0;
        break;
      case 0x15: // jeq #k
        pc += a === k ? jt : jf;
        break;
      case 0x05: // ja k
        pc += k;
        break;
      case 0x06: // ret #k
        return k;
      case 0x16: // ret a
        return a;
      default:
        throw new NetsysArgumentError(
          `fake BPF: opcode 0x${code.toString(16)} not implemented`,
          "ERR_INVALID_ARG",
        );
    }
  }
  return 0;
}

export class FakePacketSocket implements PacketSocketLike {
  readonly ifindex: number;
  private readonly iface: FakeInterface;
  private readonly protocol: number;
  private readonly filter: Uint8Array | undefined;
  private handler: FrameHandler | undefined;
  private isClosed = false;
  /** Joined multicast MACs ("33:33:ff:00:00:02"). */
  readonly memberships = new Set<string>();
  /** Frames the filter dropped (the kernel would never show them). */
  filtered = 0;

  constructor(iface: FakeInterface, options: PacketSocketOptions) {
    this.iface = iface;
    this.ifindex = iface.index;
    this.protocol = options.protocol ?? 0x0003;
    this.filter = options.filter;
    if (this.filter !== undefined && (this.filter.length === 0 || this.filter.length % 8 !== 0))
      throw new NetsysArgumentError(
        "bpf must be 1 to 4096 struct sock_filter (8 octets each)",
        "ERR_INVALID_ARG",
      );
    for (const m of options.multicastMacs ?? []) this.memberships.add(macText(m));
  }

  get closed(): boolean {
    return this.isClosed;
  }

  onFrame(handler: FrameHandler, _onError?: ErrorHandler): void {
    this.check("onFrame");
    if (this.handler !== undefined)
      throw new NetsysArgumentError("onFrame: already receiving", "ERR_INVALID_ARG");
    this.handler = handler;
  }

  send(frame: Uint8Array): void {
    this.check("send");
    if (frame.length < 14)
      throw new NetsysArgumentError(
        "frame must hold at least an Ethernet header (14 octets)",
        "ERR_INVALID_ARG",
      );
    const copy = Uint8Array.from(frame);
    this.iface.sent.push(copy);
    const peer = this.iface.peer;
    if (peer !== undefined) deliverTo(peer, copy);
  }

  addMembership(mac: Uint8Array): void {
    this.check("addMembership");
    this.memberships.add(macText(mac));
  }

  dropMembership(mac: Uint8Array): void {
    this.check("dropMembership");
    this.memberships.delete(macText(mac));
  }

  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.handler = undefined;
    this.iface.sockets.delete(this);
  }

  /** Called by the fake wire: applies protocol and filter, then delivers. */
  receive(frame: Uint8Array, type: PacketType): void {
    if (this.isClosed || this.handler === undefined) return;
    const etherType = (frame[12]! << 8) | frame[13]!;
    if (this.protocol !== 0x0003 && this.protocol !== etherType) return;
    let keep = frame.length;
    if (this.filter !== undefined) keep = Math.min(keep, runBpf(this.filter, frame));
    if (keep === 0) {
      this.filtered++;
      return;
    }
    this.handler(frame.slice(0, keep), type);
  }

  private check(what: string): void {
    if (this.isClosed)
      throw new SocketClosedError(`${what}: packet socket on ifindex ${this.ifindex} is closed`, "ECLOSED");
  }
}

function deliverTo(iface: FakeInterface, frame: Uint8Array): void {
  const dst = frame.subarray(0, 6);
  const type: PacketType = dst.every((b) => b === 0xff)
    ? PacketType.Broadcast
    : (dst[0]! & 1) === 1
      ? PacketType.Multicast
      : dst.every((b, i) => b === iface.mac[i])
        ? PacketType.Host
        : PacketType.OtherHost;
  setImmediate(() => {
    for (const s of [...iface.sockets]) s.receive(Uint8Array.from(frame), type);
  });
}

/**
 * The fake system: interfaces, veth-like links, packet sockets, recorded socket options, and
 * TCP sockets that keep their MD5 keys, TTL options, device and binding, with the kernel's
 * errors (EBADF, ENODEV, EADDRINUSE, ENOENT, …) as the same typed errors.
 */
export class FakeNetsys implements Netsys {
  readonly constants = LINUX_CONSTANTS;
  /** TCP sockets by fd, closed ones included. */
  readonly tcp = new Map<number, FakeTcpSocket>();
  /** Every TCP call, in order ("socket 4 → 1000", "md5 1000 10.0.0.1 set", …), never a key. */
  readonly tcpCalls: string[] = [];
  /** Local addresses bind() accepts (text); undefined: any. */
  localAddresses: Set<string> | undefined;
  /** false: TCP_MD5SIG fails with ENOPROTOOPT (a kernel without CONFIG_TCP_MD5SIG). */
  md5Supported = true;
  /** false: SO_BINDTODEVICE fails with EPERM (no CAP_NET_RAW, kernels before 5.7). */
  bindToDeviceAllowed = true;
  private nextFd = 1000;
  private readonly byName = new Map<string, FakeInterface>();
  private readonly byIndex = new Map<number, FakeInterface>();
  /** Every setsockopt call, in order. */
  readonly socketOptions: { fd: number; level: number; name: number; value: number | Uint8Array }[] = [];

  /** Two interfaces linked like a veth pair: what one sends, the other receives. */
  addLink(a: { name: string; mac: Uint8Array }, b: { name: string; mac: Uint8Array }): void {
    const ia = this.addInterface(a.name, a.mac);
    const ib = this.addInterface(b.name, b.mac);
    ia.peer = ib;
    ib.peer = ia;
  }

  /** An interface with no peer (frames sent out of it are only recorded). */
  addInterface(name: string, mac: Uint8Array): FakeInterface {
    if (this.byName.has(name))
      throw new NetsysArgumentError(`fake: interface ${name} exists`, "ERR_INVALID_ARG");
    const iface: FakeInterface = {
      name,
      index: this.byName.size + 1,
      mac: Uint8Array.from(mac),
      peer: undefined,
      sockets: new Set(),
      sent: [],
    };
    this.byName.set(name, iface);
    this.byIndex.set(iface.index, iface);
    return iface;
  }

  /** A frame arriving on `ifname` from its wire. */
  inject(ifname: string, frame: Uint8Array): void {
    deliverTo(this.get(ifname), Uint8Array.from(frame));
  }

  /** Frames sent out of `ifname` so far. */
  sent(ifname: string): readonly Uint8Array[] {
    return this.get(ifname).sent;
  }

  /** Open sockets on `ifname`. */
  sockets(ifname: string): readonly FakePacketSocket[] {
    return [...this.get(ifname).sockets];
  }

  ifindex(name: string): number {
    return this.get(name).index;
  }

  openPacket(options: PacketSocketOptions): FakePacketSocket {
    const iface =
      options.ifindex !== undefined
        ? this.byIndex.get(options.ifindex)
        : options.ifname !== undefined
          ? this.byName.get(options.ifname)
          : undefined;
    if (iface === undefined)
      throw new NoSuchInterfaceError(
        `fake: no interface ${options.ifname ?? options.ifindex ?? "(none given)"}`,
        "ENODEV",
        { errno: 19, syscall: "bind" },
      );
    const s = new FakePacketSocket(iface, options);
    iface.sockets.add(s);
    return s;
  }

  setsockoptInt(fd: number, level: number, name: number, value: number): void {
    const t = this.tcp.get(fd);
    if (t !== undefined) {
      this.open(fd, "setsockopt");
      t.options.set(`${level}:${name}`, value);
      this.tcpCalls.push(`setsockopt ${fd} ${optionName(level, name)} ${value}`);
    }
    this.socketOptions.push({ fd, level, name, value });
  }

  getsockoptInt(fd: number, level: number, name: number): number {
    for (let i = this.socketOptions.length - 1; i >= 0; i--) {
      const o = this.socketOptions[i]!;
      if (o.fd === fd && o.level === level && o.name === name && typeof o.value === "number") return o.value;
    }
    return 0;
  }

  setsockoptBuffer(fd: number, level: number, name: number, value: Uint8Array): void {
    const t = this.tcp.get(fd);
    if (t !== undefined) {
      this.open(fd, "setsockopt");
      if (level === LINUX_CONSTANTS.SOL_SOCKET && name === LINUX_CONSTANTS.SO_BINDTODEVICE) {
        const device = Buffer.from(value).toString("utf8").replace(/\0.*$/s, "");
        if (!this.bindToDeviceAllowed)
          throw new NetsysPermissionError(`setsockopt: SO_BINDTODEVICE ${device}: EPERM`, "EPERM", {
            errno: 1,
            syscall: "setsockopt",
          });
        if (device !== "" && !this.byName.has(device))
          throw new NoSuchInterfaceError(`setsockopt: SO_BINDTODEVICE ${device}: no such device`, "ENODEV", {
            errno: 19,
            syscall: "setsockopt",
          });
        t.device = device === "" ? undefined : device;
        this.tcpCalls.push(`setsockopt ${fd} SO_BINDTODEVICE ${device}`);
      }
    }
    this.socketOptions.push({ fd, level, name, value: Uint8Array.from(value) });
  }

  tcpSocket(family: 4 | 6): number {
    const fd = this.nextFd++;
    this.tcp.set(fd, {
      fd,
      family,
      device: undefined,
      bound: undefined,
      listening: false,
      closed: false,
      md5: new Map(),
      options: new Map(),
    });
    this.tcpCalls.push(`socket ${family} → ${fd}`);
    return fd;
  }

  bind(fd: number, address: IpAddress, port: number, _options?: { reuseAddress?: boolean }): void {
    const t = this.open(fd, "bind");
    const text = address.toString();
    if (address.family === 6 && t.family === 4)
      throw new SystemCallError(`bind ${text}: EAFNOSUPPORT`, "EAFNOSUPPORT", { errno: 97, syscall: "bind" });
    if (this.localAddresses !== undefined && address.toBigInt() !== 0n && !this.localAddresses.has(text))
      throw new AddressNotAvailableError(`bind ${text}: EADDRNOTAVAIL`, "EADDRNOTAVAIL", {
        errno: 99,
        syscall: "bind",
      });
    const taken = [...this.tcp.values()].some(
      (o) => !o.closed && o.listening && o.bound?.address === text && o.bound.port === port && port !== 0,
    );
    if (taken)
      throw new AddressInUseError(`bind ${text}:${port}: EADDRINUSE`, "EADDRINUSE", {
        errno: 98,
        syscall: "bind",
      });
    t.bound = { address: text, port };
    this.tcpCalls.push(`bind ${fd} ${text}:${port}`);
  }

  listen(fd: number, _backlog: number): void {
    this.open(fd, "listen").listening = true;
    this.tcpCalls.push(`listen ${fd}`);
  }

  setTcpMd5(fd: number, peer: IpAddress, key: RevealsSecret | null): void {
    const t = this.open(fd, "setsockopt");
    const text = peer.toString();
    if (!this.md5Supported)
      throw new OptionUnsupportedError(`setsockopt TCP_MD5SIG for ${text}: ENOPROTOOPT`, "ENOPROTOOPT", {
        errno: 92,
        syscall: "setsockopt",
      });
    if (peer.family === 6 && t.family === 4)
      throw new SystemCallError(`setsockopt TCP_MD5SIG for ${text}: EAFNOSUPPORT`, "EAFNOSUPPORT", {
        errno: 97,
        syscall: "setsockopt",
      });
    if (key === null) {
      if (!t.md5.delete(text))
        throw new NotFoundError(`setsockopt TCP_MD5SIG delete for ${text}: ENOENT`, "ENOENT", {
          errno: 2,
          syscall: "setsockopt",
        });
      this.tcpCalls.push(`md5 ${fd} ${text} delete`);
      return;
    }
    const value = key.reveal();
    const n = Buffer.byteLength(value, "utf8");
    if (n === 0 || n > LINUX_CONSTANTS.TCP_MD5SIG_MAXKEYLEN)
      throw new NetsysArgumentError("key must be 1 to 80 octets (TCP_MD5SIG_MAXKEYLEN)", "ERR_INVALID_ARG");
    t.md5.set(text, value);
    this.tcpCalls.push(`md5 ${fd} ${text} set`);
  }

  savedSynTtl(fd: number): number | undefined {
    const t = this.open(fd, "getsockopt");
    const ttl = t.savedSynTtl;
    delete t.savedSynTtl;
    return ttl;
  }

  socketFamily(fd: number): 4 | 6 {
    return this.open(fd, "getsockname").family;
  }

  close(fd: number): void {
    this.open(fd, "close").closed = true;
    this.tcpCalls.push(`close ${fd}`);
  }

  /** The fake TCP socket `fd` (closed or not); throws if there never was one. */
  tcpSocketOf(fd: number): FakeTcpSocket {
    const t = this.tcp.get(fd);
    if (t === undefined) throw new Error(`fake: no TCP socket ${fd}`);
    return t;
  }

  /** TCP sockets not closed yet (a test checks that failures leak none). */
  openTcpSockets(): FakeTcpSocket[] {
    return [...this.tcp.values()].filter((t) => !t.closed);
  }

  private open(fd: number, syscall: string): FakeTcpSocket {
    const t = this.tcp.get(fd);
    if (t === undefined || t.closed)
      throw new SystemCallError(`${syscall}(fd ${fd}): EBADF`, "EBADF", { errno: 9, syscall });
    return t;
  }

  private get(name: string): FakeInterface {
    const iface = this.byName.get(name);
    if (iface === undefined)
      throw new NoSuchInterfaceError(`fake: no interface ${name}`, "ENODEV", {
        errno: 19,
        syscall: "if_nametoindex",
      });
    return iface;
  }
}

function optionName(level: number, name: number): string {
  const c = LINUX_CONSTANTS;
  if (level === c.IPPROTO_IP && name === c.IP_TTL) return "IP_TTL";
  if (level === c.IPPROTO_IP && name === c.IP_MINTTL) return "IP_MINTTL";
  if (level === c.IPPROTO_IPV6 && name === c.IPV6_UNICAST_HOPS) return "IPV6_UNICAST_HOPS";
  if (level === c.IPPROTO_IPV6 && name === c.IPV6_MINHOPCOUNT) return "IPV6_MINHOPCOUNT";
  return `${level}:${name}`;
}
