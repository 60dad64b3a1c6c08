/**
 * The door to native/netsys.c: AF_PACKET sockets with a kernel BPF filter, whole-frame send
 * and receive, multicast membership, socket options, and TCP sockets opened natively so that
 * TCP MD5 (RFC 2385), GTSM (RFC 5082) and bind to device are set before the SYN (tcp.ts hands
 * them to node:net). Everything here is generic; frames are built and parsed in protocol/l2.
 * Unit tests use netsys-fake.ts, which implements the same `Netsys` interface.
 *
 * Errors are typed (`NetsysError` subclasses with `cause` = the addon's error); callers branch
 * on the class or on `code`, never on the message.
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { IpAddress } from "../../protocol/ip/index.ts";

/** `sll_pkttype` of a received frame (linux/if_packet.h). */
export const PacketType = { Host: 0, Broadcast: 1, Multicast: 2, OtherHost: 3, Outgoing: 4 } as const;
export type PacketType = (typeof PacketType)[keyof typeof PacketType];

/** EtherType values for `protocol` (linux/if_ether.h). */
export const EthProtocol = { All: 0x0003, ARP: 0x0806, IPv6: 0x86dd } as const;

/** Numbers from the C headers, as the addon was compiled. */
export interface NetsysConstants {
  readonly ETH_P_ALL: number;
  readonly ETH_P_ARP: number;
  readonly ETH_P_IPV6: number;
  readonly PACKET_HOST: number;
  readonly PACKET_BROADCAST: number;
  readonly PACKET_MULTICAST: number;
  readonly PACKET_OTHERHOST: number;
  readonly PACKET_OUTGOING: number;
  readonly SOL_SOCKET: number;
  readonly SOL_PACKET: number;
  readonly SO_RCVBUF: number;
  readonly SO_SNDBUF: number;
  readonly SO_BINDTODEVICE: number;
  readonly SO_MARK: number;
  readonly IPPROTO_IP: number;
  readonly IPPROTO_IPV6: number;
  readonly IPPROTO_TCP: number;
  readonly IP_TTL: number;
  readonly IP_MINTTL: number;
  readonly IPV6_UNICAST_HOPS: number;
  readonly IPV6_MINHOPCOUNT: number;
  readonly TCP_MD5SIG: number;
  readonly TCP_MD5SIG_MAXKEYLEN: number;
  readonly TCP_SAVE_SYN: number;
}

/** The Linux values (uapi headers; stable ABI): what the fake uses, and what the addon must report. */
export const LINUX_CONSTANTS: NetsysConstants = {
  ETH_P_ALL: 0x0003,
  ETH_P_ARP: 0x0806,
  ETH_P_IPV6: 0x86dd,
  PACKET_HOST: 0,
  PACKET_BROADCAST: 1,
  PACKET_MULTICAST: 2,
  PACKET_OTHERHOST: 3,
  PACKET_OUTGOING: 4,
  SOL_SOCKET: 1,
  SOL_PACKET: 263,
  SO_RCVBUF: 8,
  SO_SNDBUF: 7,
  SO_BINDTODEVICE: 25,
  SO_MARK: 36,
  IPPROTO_IP: 0,
  IPPROTO_IPV6: 41,
  IPPROTO_TCP: 6,
  IP_TTL: 2,
  IP_MINTTL: 21,
  IPV6_UNICAST_HOPS: 16,
  IPV6_MINHOPCOUNT: 73,
  TCP_MD5SIG: 14,
  TCP_MD5SIG_MAXKEYLEN: 80,
  TCP_SAVE_SYN: 27,
};

/** The addon's exports, exactly (native/netsys.c, NAPI_MODULE_INIT). */
export interface NetsysBinding {
  openPacket(
    ifindex: number,
    protocol: number,
    bpf?: Uint8Array | null,
    multicastMacs?: readonly Uint8Array[] | null,
  ): number;
  startReceive(fd: number, callback: (errno: number, frame: Buffer | null, pkttype: number) => void): void;
  stopReceive(fd: number): boolean;
  send(fd: number, ifindex: number, frame: Uint8Array): number;
  close(fd: number): void;
  addMembership(fd: number, ifindex: number, mac: Uint8Array): void;
  dropMembership(fd: number, ifindex: number, mac: Uint8Array): void;
  setsockoptInt(fd: number, level: number, name: number, value: number): void;
  getsockoptInt(fd: number, level: number, name: number): number;
  setsockoptBuffer(fd: number, level: number, name: number, value: Uint8Array): void;
  ifindex(name: string): number;
  tcpSocket(family: 4 | 6): number;
  bind(fd: number, address: Uint8Array, port: number, reuseAddress?: boolean): void;
  listen(fd: number, backlog: number): void;
  tcpMd5(fd: number, peer: Uint8Array, key: Uint8Array | null): void;
  socketFamily(fd: number): number;
  savedSynTtl(fd: number): number;
  readonly constants: NetsysConstants;
}

// ---------- errors ----------

/** Base of every error from this door. `code` is the errno name ("EPERM") or one of ours. */
export class NetsysError extends Error {
  override readonly name: string = "NetsysError";
  readonly code: string;
  readonly errno: number | undefined;
  readonly syscall: string | undefined;
  constructor(
    message: string,
    code: string,
    options: { cause?: unknown; errno?: number; syscall?: string } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.errno = options.errno;
    this.syscall = options.syscall;
  }
}

/** native/build/netsys.node is missing or does not load. */
export class NetsysUnavailableError extends NetsysError {
  override readonly name = "NetsysUnavailableError";
}
/** EPERM/EACCES: packet sockets need CAP_NET_RAW (and SO_BINDTODEVICE, on kernels before 5.7). */
export class NetsysPermissionError extends NetsysError {
  override readonly name = "NetsysPermissionError";
}
/** ENODEV/ENXIO: no such interface (or it went away). */
export class NoSuchInterfaceError extends NetsysError {
  override readonly name = "NoSuchInterfaceError";
}
/** ENETDOWN: the interface is down; the socket stays usable once it is up again. */
export class InterfaceDownError extends NetsysError {
  override readonly name = "InterfaceDownError";
}
/** EAGAIN/ENOBUFS: the send queue is full; the frame was not sent. */
export class SendQueueFullError extends NetsysError {
  override readonly name = "SendQueueFullError";
}
/** EADDRINUSE: the address and port are taken (another listener). */
export class AddressInUseError extends NetsysError {
  override readonly name = "AddressInUseError";
}
/** EADDRNOTAVAIL: the local address to bind is not on this host. */
export class AddressNotAvailableError extends NetsysError {
  override readonly name = "AddressNotAvailableError";
}
/** ENOPROTOOPT: the kernel lacks the option (e.g. TCP_MD5SIG without CONFIG_TCP_MD5SIG). */
export class OptionUnsupportedError extends NetsysError {
  override readonly name = "OptionUnsupportedError";
}
/** ENOENT: nothing to remove (e.g. a TCP MD5 key that was never set). */
export class NotFoundError extends NetsysError {
  override readonly name = "NotFoundError";
}
/** A call on a PacketSocket after close(). */
export class SocketClosedError extends NetsysError {
  override readonly name = "SocketClosedError";
}
/** An argument the addon (or this door) refuses: a bug in the caller. */
export class NetsysArgumentError extends NetsysError {
  override readonly name = "NetsysArgumentError";
}
/** Any other failed system call; see `code`, `errno`, `syscall`. */
export class SystemCallError extends NetsysError {
  override readonly name = "SystemCallError";
}

type ErrorClass = new (
  message: string,
  code: string,
  options?: { cause?: unknown; errno?: number; syscall?: string },
) => NetsysError;

const BY_CODE: Readonly<Record<string, ErrorClass>> = {
  EPERM: NetsysPermissionError,
  EACCES: NetsysPermissionError,
  ENODEV: NoSuchInterfaceError,
  ENXIO: NoSuchInterfaceError,
  ENETDOWN: InterfaceDownError,
  EAGAIN: SendQueueFullError,
  EWOULDBLOCK: SendQueueFullError,
  ENOBUFS: SendQueueFullError,
  EADDRINUSE: AddressInUseError,
  EADDRNOTAVAIL: AddressNotAvailableError,
  ENOPROTOOPT: OptionUnsupportedError,
  ENOENT: NotFoundError,
  ERR_INVALID_ARG: NetsysArgumentError,
};

interface NativeErrorShape {
  message?: unknown;
  code?: unknown;
  errno?: unknown;
  syscall?: unknown;
}

/** The addon's error (or a bare errno from the receive callback) as a typed NetsysError. */
export function toNetsysError(e: unknown, context?: string): NetsysError {
  if (e instanceof NetsysError) return e;
  const shape: NativeErrorShape = typeof e === "object" && e !== null ? (e as NativeErrorShape) : {};
  const code = typeof shape.code === "string" ? shape.code : "EUNKNOWN";
  const errno = typeof shape.errno === "number" ? shape.errno : undefined;
  const syscall = typeof shape.syscall === "string" ? shape.syscall : undefined;
  const text = typeof shape.message === "string" ? shape.message : String(e);
  const Cls = BY_CODE[code] ?? SystemCallError;
  const opts: { cause?: unknown; errno?: number; syscall?: string } = { cause: e };
  if (errno !== undefined) opts.errno = errno;
  if (syscall !== undefined) opts.syscall = syscall;
  return new Cls(context === undefined ? text : `${context}: ${text}`, code, opts);
}

/** A receive-side errno (the callback gets a number, not an Error). */
function errnoError(errno: number, context: string): NetsysError {
  const code = ERRNO_NAMES[errno] ?? `errno ${errno}`;
  return toNetsysError({ message: `receive failed: ${code}`, code, errno, syscall: "recvfrom" }, context);
}

/** The errno values the receive path can report on Linux (asm-generic/errno*.h). */
const ERRNO_NAMES: Readonly<Record<number, string>> = {
  1: "EPERM",
  6: "ENXIO",
  9: "EBADF",
  11: "EAGAIN",
  19: "ENODEV",
  22: "EINVAL",
  100: "ENETDOWN",
  105: "ENOBUFS",
};

// ---------- loading ----------

/** The command that builds the addon (README, CI). */
export const BUILD_COMMAND = "npm run build:native";

/** Where the addon is looked for: $SIGNALBOX_NETSYS, then native/build from src/ and from dist/src/. */
export function addonCandidates(): string[] {
  const here = dirname(fileURLToPath(import.meta.url));
  const out: string[] = [];
  const env = process.env["SIGNALBOX_NETSYS"];
  if (env) out.push(env);
  out.push(join(here, "../../native/build/netsys.node"), join(here, "../../../native/build/netsys.node"));
  return out;
}

let loaded: NetsysBinding | undefined;

/** Loads native/build/netsys.node once; NetsysUnavailableError names the build command. */
export function loadNetsysBinding(): NetsysBinding {
  if (loaded) return loaded;
  const candidates = addonCandidates();
  const path = candidates.find((p) => existsSync(p));
  if (path === undefined) {
    throw new NetsysUnavailableError(
      `native addon not built: none of ${candidates.join(", ")} exists; run \`${BUILD_COMMAND}\` (gcc, native/build.sh)`,
      "ENOADDON",
    );
  }
  try {
    loaded = createRequire(import.meta.url)(path) as NetsysBinding;
  } catch (cause) {
    throw new NetsysUnavailableError(
      `native addon ${path} does not load; rebuild it with \`${BUILD_COMMAND}\``,
      "ENOADDON",
      { cause },
    );
  }
  return loaded;
}

/** Whether the addon is there and loads (for tests that skip without it). */
export function netsysAvailable(): boolean {
  try {
    loadNetsysBinding();
    return true;
  } catch {
    return false;
  }
}

// ---------- the interface (real and fake) ----------

export interface PacketSocketOptions {
  /** The interface, by name or index (one of the two). */
  readonly ifname?: string;
  readonly ifindex?: number;
  /** EtherType to receive; default ETH_P_ALL (the filter chooses). */
  readonly protocol?: number;
  /** Classic BPF program bytes (struct sock_filter[], host order), e.g. neighborFilterBytes(). */
  readonly filter?: Uint8Array;
  /** Multicast MACs to join at once (PACKET_MR_MULTICAST), e.g. solicited-node groups. */
  readonly multicastMacs?: readonly Uint8Array[];
}

export type FrameHandler = (frame: Uint8Array, type: PacketType) => void;
export type ErrorHandler = (error: NetsysError) => void;

export interface PacketSocketLike {
  readonly ifindex: number;
  readonly closed: boolean;
  /** Starts delivery of received frames (never our own outgoing ones). Once per socket. */
  onFrame(handler: FrameHandler, onError?: ErrorHandler): void;
  /** Sends one whole Ethernet frame out of the interface. */
  send(frame: Uint8Array): void;
  addMembership(mac: Uint8Array): void;
  dropMembership(mac: Uint8Array): void;
  /** Stops receiving and closes; idempotent. */
  close(): void;
}

export interface Netsys {
  readonly constants: NetsysConstants;
  ifindex(name: string): number;
  openPacket(options: PacketSocketOptions): PacketSocketLike;
  setsockoptInt(fd: number, level: number, name: number, value: number): void;
  getsockoptInt(fd: number, level: number, name: number): number;
  setsockoptBuffer(fd: number, level: number, name: number, value: Uint8Array): void;
  /** A non-blocking TCP socket, not bound; hand it to node:net (tcp.ts) or `close` it. */
  tcpSocket(family: 4 | 6): number;
  /** bind(2); an IPv4 address on an IPv6 socket is bound as ::ffff:a.b.c.d. */
  bind(fd: number, address: IpAddress, port: number, options?: { reuseAddress?: boolean }): void;
  listen(fd: number, backlog: number): void;
  /**
   * Sets the RFC 2385 key for one peer address (`null` removes it). On a listening socket the
   * key is per peer and is inherited by the connections it accepts. `key.reveal()` is read
   * here and nowhere else; no error carries it.
   */
  setTcpMd5(fd: number, peer: IpAddress, key: RevealsSecret | null): void;
  /** 4 or 6: the family the socket was created with. */
  socketFamily(fd: number): 4 | 6;
  /**
   * The TTL (hop limit) of the SYN that opened an accepted connection, when its listener had
   * TCP_SAVE_SYN on; undefined otherwise. Readable once per connection.
   */
  savedSynTtl(fd: number): number | undefined;
  /** close(2), for an fd never handed to node:net. */
  close(fd: number): void;
}

/** A password (src/config/secret.ts `Secret`): prints redacted, `reveal()` gives the value. */
export interface RevealsSecret {
  reveal(): string;
}

function call<T>(context: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw toNetsysError(e, context);
  }
}

/** An AF_PACKET socket on one interface (native/netsys.c). */
export class PacketSocket implements PacketSocketLike {
  readonly ifindex: number;
  readonly fd: number;
  private readonly binding: NetsysBinding;
  private receiving = false;
  private isClosed = false;

  private constructor(binding: NetsysBinding, fd: number, ifindex: number) {
    this.binding = binding;
    this.fd = fd;
    this.ifindex = ifindex;
  }

  static open(options: PacketSocketOptions, binding: NetsysBinding = loadNetsysBinding()): PacketSocket {
    const ifindex = resolveIfindex(binding, options);
    const protocol = options.protocol ?? EthProtocol.All;
    const fd = call(`open packet socket on ifindex ${ifindex}`, () =>
      binding.openPacket(ifindex, protocol, options.filter ?? null, options.multicastMacs ?? null),
    );
    return new PacketSocket(binding, fd, ifindex);
  }

  get closed(): boolean {
    return this.isClosed;
  }

  onFrame(handler: FrameHandler, onError?: ErrorHandler): void {
    this.check("onFrame");
    if (this.receiving) throw new NetsysArgumentError("onFrame: already receiving", "ERR_INVALID_ARG");
    const context = `receive on ifindex ${this.ifindex}`;
    call(context, () =>
      this.binding.startReceive(this.fd, (errno, frame, pkttype) => {
        if (errno !== 0 || frame === null) {
          onError?.(errnoError(errno, context));
          return;
        }
        // Kernels before 4.20 have no PACKET_IGNORE_OUTGOING: drop our own frames here.
        if (pkttype === PacketType.Outgoing) return;
        handler(frame, pkttype as PacketType);
      }),
    );
    this.receiving = true;
  }

  send(frame: Uint8Array): void {
    this.check("send");
    call(`send ${frame.length} octets on ifindex ${this.ifindex}`, () =>
      this.binding.send(this.fd, this.ifindex, frame),
    );
  }

  addMembership(mac: Uint8Array): void {
    this.check("addMembership");
    call(`join multicast on ifindex ${this.ifindex}`, () =>
      this.binding.addMembership(this.fd, this.ifindex, mac),
    );
  }

  dropMembership(mac: Uint8Array): void {
    this.check("dropMembership");
    call(`leave multicast on ifindex ${this.ifindex}`, () =>
      this.binding.dropMembership(this.fd, this.ifindex, mac),
    );
  }

  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.receiving = false;
    call(`close packet socket on ifindex ${this.ifindex}`, () => this.binding.close(this.fd));
  }

  private check(what: string): void {
    if (this.isClosed)
      throw new SocketClosedError(`${what}: packet socket on ifindex ${this.ifindex} is closed`, "ECLOSED");
  }
}

function resolveIfindex(binding: NetsysBinding, options: PacketSocketOptions): number {
  if (options.ifindex !== undefined) return options.ifindex;
  if (options.ifname !== undefined) {
    const name = options.ifname;
    return call(`interface ${name}`, () => binding.ifindex(name));
  }
  throw new NetsysArgumentError("openPacket: give ifname or ifindex", "ERR_INVALID_ARG");
}

/** The real door, over the addon. */
export function realNetsys(binding: NetsysBinding = loadNetsysBinding()): Netsys {
  return {
    constants: binding.constants,
    tcpSocket: (family) => call(`TCP socket (IPv${family})`, () => binding.tcpSocket(family)),
    bind: (fd, address, port, options) =>
      call(`bind ${address}:${port}`, () =>
        binding.bind(fd, address.toBytes(), port, options?.reuseAddress ?? false),
      ),
    listen: (fd, backlog) => call("listen", () => binding.listen(fd, backlog)),
    setTcpMd5: (fd, peer, key) =>
      call(`TCP MD5 key for ${peer}`, () =>
        binding.tcpMd5(fd, peer.toBytes(), key === null ? null : Buffer.from(key.reveal(), "utf8")),
      ),
    socketFamily: (fd) => {
      const f = call("socket family", () => binding.socketFamily(fd));
      if (f !== 4 && f !== 6)
        throw new NetsysArgumentError(`fd ${fd} is not an IP socket`, "ERR_INVALID_ARG");
      return f;
    },
    close: (fd) => call(`close fd ${fd}`, () => binding.close(fd)),
    savedSynTtl: (fd) => {
      const ttl = call("saved SYN", () => binding.savedSynTtl(fd));
      return ttl < 0 ? undefined : ttl;
    },
    ifindex: (name) => call(`interface ${name}`, () => binding.ifindex(name)),
    openPacket: (options) => PacketSocket.open(options, binding),
    setsockoptInt: (fd, level, name, value) =>
      call("setsockopt", () => binding.setsockoptInt(fd, level, name, value)),
    getsockoptInt: (fd, level, name) => call("getsockopt", () => binding.getsockoptInt(fd, level, name)),
    setsockoptBuffer: (fd, level, name, value) =>
      call("setsockopt", () => binding.setsockoptBuffer(fd, level, name, value)),
  };
}
