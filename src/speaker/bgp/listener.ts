import { createServer, type Server, type Socket } from "node:net";
import { IpAddress } from "../../../protocol/ip/index.ts";
import { type Netsys, type RevealsSecret, realNetsys } from "../../platform/netsys.ts";
import { listenTcp, removeTcpMd5, saveSyns } from "../../platform/tcp.ts";

/** A configured peer as the listener sees it: who may connect, and with which RFC 2385 key. */
export interface ListenerPeer {
  readonly peerAddress: IpAddress;
  readonly password?: RevealsSecret;
  readonly ttlSecurity?: boolean;
}

/** What the listener hands a connection to: a session, and what it needs to check first. */
export interface ListenerSession {
  accept(socket: Socket): void;
  readonly config?: { readonly password?: RevealsSecret };
}

/**
 * The passive side (RFC 4271 §8: PassiveTcpEstablishment): one TCP listener for all peers.
 * A connection from a configured peer goes to its session; any other is closed at once,
 * before an OPEN is sent (checklist §3.9).
 *
 * TCP MD5 (RFC 2385): the listening socket holds one key per peer address, set before the
 * peer's SYN can arrive (`setPeers`, called whenever the peers change); the kernel drops a
 * SYN whose signature is missing or wrong, and accepted connections inherit the key. So the
 * listening socket is opened by the native addon when it loads (src/platform/tcp.ts), and by
 * node:net otherwise, in which case peers with a password can only be reached actively.
 *
 * GTSM (RFC 5082): the SYN-ACK leaves with the listening socket's TTL, and a GTSM peer drops
 * anything below 255, so while any peer asks for TTL security the listener sends with TTL
 * (hop limit) 255 — harmless to the others. The minimum TTL is per connection: the session
 * sets it on the connection it accepts, after checking the TTL its SYN came with (the
 * listener saves SYN headers, TCP_SAVE_SYN), so a peer too far away is refused before
 * anything it sent is read.
 */
export class BgpListener {
  private server: Server | undefined;
  private readonly lookup: (remote: IpAddress) => ListenerSession | undefined;
  private readonly onReject: (remote: string) => void;
  private readonly netsysOption: Netsys | null | undefined;
  private readonly listenNative: typeof listenTcp;
  private sys: Netsys | undefined;
  /** The listening socket's fd when it was opened natively. */
  private fd: number | undefined;
  /** Why the native socket could not be used (for the problems `setPeers` reports). */
  private nativeError: string | undefined;
  private wanted = new Map<string, ListenerPeer & { readonly password: RevealsSecret }>();
  private readonly applied = new Map<string, RevealsSecret>();
  private readonly keyProblems = new Map<string, string>();
  private wantTtl255 = false;
  /** Whether the listening socket currently sends with TTL 255. */
  private ttl255 = false;
  private family: 4 | 6 | undefined;

  constructor(opts: {
    lookup: (remote: IpAddress) => ListenerSession | undefined;
    onReject?: (remote: string) => void;
    /** The door for a native listening socket; undefined: the addon if it loads; null: node:net only. */
    netsys?: Netsys | null;
    /** How the native socket is opened and handed to the server (tests with the fake replace it). */
    listenNative?: typeof listenTcp;
  }) {
    this.lookup = opts.lookup;
    this.onReject = opts.onReject ?? (() => {});
    this.netsysOption = opts.netsys;
    this.listenNative = opts.listenNative ?? listenTcp;
  }

  /** Listens on host:port (port 0 picks one); resolves with the bound port. */
  async listen(port: number, host?: string): Promise<number> {
    const server = createServer({ noDelay: true }, (socket) => this.onConnection(socket));
    const sys = this.loadNetsys();
    const address = IpAddress.parse(host ?? "::");
    if (sys !== undefined && address !== undefined) {
      this.fd = await this.listenNative(sys, server, { host: address, port });
      this.sys = sys;
      this.family = sys.socketFamily(this.fd);
    } else {
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen({ port, ...(host ? { host } : {}) }, () => {
          server.off("error", reject);
          resolve();
        });
      });
    }
    this.server = server;
    this.syncKeys();
    const a = server.address();
    return typeof a === "object" && a !== null ? a.port : port;
  }

  /** Whether TCP MD5 keys can be set on the listening socket (it was opened natively). */
  get md5Capable(): boolean {
    return this.fd !== undefined;
  }

  /**
   * The configured peers: keys of peers with a password are set on the listening socket, keys
   * of peers gone or without one any more are removed. Returns one problem per peer whose key
   * could not be set (never the key itself); those peers can then only connect without MD5,
   * which their kernel refuses, so only our own connections to them can work.
   */
  setPeers(peers: readonly ListenerPeer[]): string[] {
    const wanted = new Map<string, ListenerPeer & { readonly password: RevealsSecret }>();
    for (const p of peers) {
      if (p.password !== undefined) wanted.set(p.peerAddress.toString(), { ...p, password: p.password });
    }
    this.wanted = wanted;
    this.wantTtl255 = peers.some((p) => p.ttlSecurity === true);
    this.syncKeys();
    return [...this.keyProblems.values()];
  }

  private syncKeys(): void {
    this.keyProblems.clear();
    if (this.server === undefined) return; // applied once listening
    const sys = this.sys;
    const fd = this.fd;
    if (this.wantTtl255 !== this.ttl255) {
      if (sys === undefined || fd === undefined) {
        if (this.wantTtl255)
          this.keyProblems.set(
            "ttl",
            `TTL security for connections from peers: the listening socket cannot send with TTL 255 (${this.nativeError ?? "opened without the native addon"}); only our own connections can succeed`,
          );
      } else {
        try {
          // -1 puts the system default back (ip(7), ipv6(7)).
          const ttl = this.wantTtl255 ? 255 : -1;
          const c = sys.constants;
          sys.setsockoptInt(fd, c.IPPROTO_IP, c.IP_TTL, ttl);
          if (this.family === 6) sys.setsockoptInt(fd, c.IPPROTO_IPV6, c.IPV6_UNICAST_HOPS, ttl);
          // The session reads the SYN's TTL at accept and refuses a peer too far away.
          saveSyns(sys, fd, this.wantTtl255);
          this.ttl255 = this.wantTtl255;
        } catch (e) {
          this.keyProblems.set("ttl", `TTL 255 on the listening socket: ${(e as Error).message}`);
        }
      }
    }
    if (sys === undefined || fd === undefined) {
      for (const [text] of this.wanted)
        this.keyProblems.set(
          text,
          `TCP MD5 for connections from ${text}: the listening socket has no keys (${this.nativeError ?? "opened without the native addon"}); only our own connections to this peer can succeed`,
        );
      return;
    }
    for (const [text, key] of this.applied) {
      const w = this.wanted.get(text);
      if (w !== undefined && w.password.reveal() === key.reveal()) continue;
      try {
        removeTcpMd5(sys, fd, IpAddress.of(text));
        this.applied.delete(text);
      } catch (e) {
        this.keyProblems.set(text, `TCP MD5 key for ${text} could not be removed: ${(e as Error).message}`);
      }
    }
    for (const [text, w] of this.wanted) {
      if (this.applied.has(text)) continue;
      try {
        sys.setTcpMd5(fd, w.peerAddress, w.password);
        this.applied.set(text, w.password);
      } catch (e) {
        this.keyProblems.set(text, `TCP MD5 key for ${text} could not be set: ${(e as Error).message}`);
      }
    }
  }

  private loadNetsys(): Netsys | undefined {
    if (this.netsysOption === null) {
      this.nativeError = "native listener disabled";
      return undefined;
    }
    if (this.netsysOption !== undefined) return this.netsysOption;
    try {
      return realNetsys();
    } catch (e) {
      this.nativeError = (e as Error).message;
      return undefined;
    }
  }

  private onConnection(socket: Socket): void {
    const remote = IpAddress.parse((socket.remoteAddress ?? "").replace(/^::ffff:(?=\d+\.)/, ""));
    const session = remote === undefined ? undefined : this.lookup(remote);
    if (session === undefined) {
      this.onReject(socket.remoteAddress ?? "unknown");
      socket.destroy();
      return;
    }
    // RFC 2385: a peer with a password must not get a session over a connection the kernel
    // accepted without its key (a listener without keys accepts unsigned SYNs).
    const key = session.config?.password;
    const applied = this.applied.get(remote!.toString());
    if (key !== undefined && (applied === undefined || applied.reveal() !== key.reveal())) {
      this.onReject(`${socket.remoteAddress ?? "unknown"} (no TCP MD5 key on the listener for this peer)`);
      socket.destroy();
      return;
    }
    session.accept(socket);
  }

  close(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    this.fd = undefined;
    this.applied.clear();
    this.ttl255 = false;
    return new Promise((resolve) => (s ? s.close(() => resolve()) : resolve()));
  }
}
