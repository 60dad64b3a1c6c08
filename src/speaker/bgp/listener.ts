import { createServer, type Server, type Socket } from "node:net";
import { IpAddress } from "../../../protocol/ip/index.ts";

/**
 * The passive side (RFC 4271 §8: PassiveTcpEstablishment): one TCP listener for all peers.
 * A connection from a configured peer goes to its session; any other is closed at once,
 * before an OPEN is sent (checklist §3.9).
 */
export class BgpListener {
  private server: Server | undefined;
  private readonly lookup: (remote: IpAddress) => { accept(socket: Socket): void } | undefined;
  private readonly onReject: (remote: string) => void;

  constructor(opts: {
    lookup: (remote: IpAddress) => { accept(socket: Socket): void } | undefined;
    onReject?: (remote: string) => void;
  }) {
    this.lookup = opts.lookup;
    this.onReject = opts.onReject ?? (() => {});
  }

  /** Listens on host:port (port 0 picks one); resolves with the bound port. */
  listen(port: number, host?: string): Promise<number> {
    const server = createServer({ noDelay: true }, (socket) => this.onConnection(socket));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen({ port, ...(host ? { host } : {}) }, () => {
        server.off("error", reject);
        const a = server.address();
        resolve(typeof a === "object" && a !== null ? a.port : port);
      });
    });
  }

  private onConnection(socket: Socket): void {
    const remote = IpAddress.parse((socket.remoteAddress ?? "").replace(/^::ffff:(?=\d+\.)/, ""));
    const session = remote === undefined ? undefined : this.lookup(remote);
    if (session === undefined) {
      this.onReject(socket.remoteAddress ?? "unknown");
      socket.destroy();
      return;
    }
    session.accept(socket);
  }

  close(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    return new Promise((resolve) => (s ? s.close(() => resolve()) : resolve()));
  }
}
