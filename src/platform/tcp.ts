/**
 * TCP sockets with the options BGP needs, handed to node:net.
 *
 * - TCP MD5 signatures (RFC 2385): the key must be on the socket before the SYN leaves (an
 *   active session) or on the listener before the peer's SYN arrives (a passive one; the
 *   kernel keeps one key per peer address there, and accepted connections inherit it).
 * - GTSM (RFC 5082 §3): send with TTL / hop limit 255 and accept only 255, so a packet from
 *   further than one hop away never reaches BGP. IPv4 peers use IP_TTL and IP_MINTTL (also on
 *   an IPv6 socket that carries them as ::ffff:a.b.c.d), IPv6 peers IPV6_UNICAST_HOPS and
 *   IPV6_MINHOPCOUNT.
 * - SO_BINDTODEVICE: the session leaves and enters through one device (an interface or a VRF).
 *
 * Node has no hook between socket() and connect(), so the addon creates the socket
 * (netsys.ts `tcpSocket`), the options are set here, and node:net takes the fd over:
 * `new net.Socket({ fd })` then `connect()` (libuv connects an opened, unconnected fd), or
 * `server.listen({ fd })`. From then on Node owns the fd; until then every failure closes it.
 */
import { type Server, Socket } from "node:net";
import type { IpAddress } from "../../protocol/ip/index.ts";
import { type Netsys, NotFoundError, type RevealsSecret } from "./netsys.ts";

/** What the kernel does to a BGP session's TCP connection beyond plain TCP. */
export interface TcpSecurity {
  /** RFC 2385 key shared with the peer. */
  readonly md5Key?: RevealsSecret;
  /** RFC 5082 GTSM for a directly connected peer: TTL 255 out, only 255 accepted. */
  readonly ttlSecurity?: boolean;
  /** SO_BINDTODEVICE: an interface or VRF device name. */
  readonly device?: string;
}

/** Whether node:net alone cannot open this connection. */
export function needsNativeSocket(s: TcpSecurity): boolean {
  return s.md5Key !== undefined || s.ttlSecurity === true || s.device !== undefined;
}

/** RFC 5082: the TTL (hop limit) we send and the least we accept from a directly connected peer. */
export const GTSM_TTL = 255;

/** Sets GTSM on a socket, for a peer of `peerFamily` (the socket may be IPv6 for an IPv4 peer). */
export function applyTtlSecurity(sys: Netsys, fd: number, peerFamily: 4 | 6): void {
  const c = sys.constants;
  if (peerFamily === 4) {
    sys.setsockoptInt(fd, c.IPPROTO_IP, c.IP_TTL, GTSM_TTL);
    sys.setsockoptInt(fd, c.IPPROTO_IP, c.IP_MINTTL, GTSM_TTL);
  } else {
    sys.setsockoptInt(fd, c.IPPROTO_IPV6, c.IPV6_UNICAST_HOPS, GTSM_TTL);
    sys.setsockoptInt(fd, c.IPPROTO_IPV6, c.IPV6_MINHOPCOUNT, GTSM_TTL);
  }
}

/**
 * RFC 5082 on an accepted connection: undefined if the peer may go on (its SYN came with TTL
 * 255, or the SYN was not saved), else why it is refused. Then sets GTSM on the connection, so
 * what follows is held to TTL 255 too. The listener must have TCP_SAVE_SYN on
 * (`saveSyns`) for the first check; without it, only data after this call is filtered.
 */
export function checkAcceptedTtl(sys: Netsys, fd: number, peerFamily: 4 | 6): string | undefined {
  const ttl = sys.savedSynTtl(fd);
  if (ttl !== undefined && ttl < GTSM_TTL)
    return `its SYN arrived with ${peerFamily === 4 ? "TTL" : "hop limit"} ${ttl}, and TTL security accepts only ${GTSM_TTL} (a directly connected peer)`;
  applyTtlSecurity(sys, fd, peerFamily);
  return undefined;
}

/** TCP_SAVE_SYN on a listener: accepted connections keep their SYN's headers for `checkAcceptedTtl`. */
export function saveSyns(sys: Netsys, fd: number, on: boolean): void {
  sys.setsockoptInt(fd, sys.constants.IPPROTO_TCP, sys.constants.TCP_SAVE_SYN, on ? 1 : 0);
}

/** SO_BINDTODEVICE with a NUL-terminated name; ENODEV (NoSuchInterfaceError) if it does not exist. */
export function bindToDevice(sys: Netsys, fd: number, device: string): void {
  const c = sys.constants;
  sys.setsockoptBuffer(fd, c.SOL_SOCKET, c.SO_BINDTODEVICE, Buffer.from(`${device}\0`, "utf8"));
}

export interface ConnectOptions extends TcpSecurity {
  readonly peer: IpAddress;
  readonly port: number;
  /** Source address (bound before connect); undefined: the kernel chooses. */
  readonly localAddress?: IpAddress;
}

/**
 * A socket ready to connect to `o.peer`: device, MD5 key, GTSM and source address set, in
 * that order (the device decides which addresses can be bound). Returns its fd; closes it and
 * rethrows (a typed NetsysError) if any step fails.
 */
export function openConnectingSocket(sys: Netsys, o: ConnectOptions): number {
  const fd = sys.tcpSocket(o.peer.family);
  try {
    if (o.device !== undefined) bindToDevice(sys, fd, o.device);
    if (o.md5Key !== undefined) sys.setTcpMd5(fd, o.peer, o.md5Key);
    if (o.ttlSecurity) applyTtlSecurity(sys, fd, o.peer.family);
    if (o.localAddress !== undefined) sys.bind(fd, o.localAddress, 0);
    return fd;
  } catch (e) {
    closeQuietly(sys, fd);
    throw e;
  }
}

/** How an fd becomes a node:net Socket (replaced in unit tests that use the fake). */
export type WrapFd = (fd: number) => Socket;
export const wrapFd: WrapFd = (fd) => new Socket({ fd });

/** Opens the socket natively and connects it through node:net ('connect' and 'error' as usual). */
export function connectTcp(sys: Netsys, o: ConnectOptions, wrap: WrapFd = wrapFd): Socket {
  const fd = openConnectingSocket(sys, o);
  let socket: Socket;
  try {
    socket = wrap(fd);
  } catch (e) {
    closeQuietly(sys, fd);
    throw e;
  }
  socket.setNoDelay(true);
  socket.connect({ host: o.peer.toString(), port: o.port });
  return socket;
}

export interface ListenOptions {
  readonly host: IpAddress;
  readonly port: number;
  readonly backlog?: number;
  readonly device?: string;
}

/**
 * A listening socket opened natively (so TCP MD5 keys can be set on it later, per peer) and
 * handed to `server`. Resolves with the fd, which stays valid while the server listens.
 */
export function listenTcp(sys: Netsys, server: Server, o: ListenOptions): Promise<number> {
  const fd = sys.tcpSocket(o.host.family);
  try {
    if (o.device !== undefined) bindToDevice(sys, fd, o.device);
    sys.bind(fd, o.host, o.port, { reuseAddress: true });
    sys.listen(fd, o.backlog ?? 511);
  } catch (e) {
    closeQuietly(sys, fd);
    return Promise.reject(e);
  }
  return new Promise((resolve, reject) => {
    // Once server.listen has the fd, Node owns it (and closes it on failure): only reject.
    const onError = (e: Error) => reject(e);
    server.once("error", onError);
    server.listen({ fd }, () => {
      server.off("error", onError);
      resolve(fd);
    });
  });
}

/** Removes a peer's key from a listener; a key that was never set is not an error. */
export function removeTcpMd5(sys: Netsys, fd: number, peer: IpAddress): void {
  try {
    sys.setTcpMd5(fd, peer, null);
  } catch (e) {
    if (!(e instanceof NotFoundError)) throw e;
  }
}

/**
 * The fd under a node:net Socket (an accepted connection), for options set after accept.
 * Node exposes it as `_handle.fd` on Linux; undefined where it does not.
 */
export function socketFd(socket: Socket): number | undefined {
  const fd = (socket as unknown as { _handle?: { fd?: unknown } })._handle?.fd;
  return typeof fd === "number" && fd >= 0 ? fd : undefined;
}

function closeQuietly(sys: Netsys, fd: number): void {
  try {
    sys.close(fd);
  } catch {
    // the first error is the one worth reporting
  }
}
