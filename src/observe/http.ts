/**
 * The read-only HTTP endpoints of a signalbox process: `/status` (JSON), `/metrics`
 * (Prometheus), `/healthz`, `/readyz`.
 * Listens where the flag says (loopback by default). Anything else is 404; only GET/HEAD.
 */
import { createServer, type Server } from "node:http";

export interface Endpoints {
  status(): unknown;
  /** Prometheus text exposition, when the process has metrics. */
  metrics?(): Promise<{ contentType: string; body: string }>;
  /** Ready: config loaded and plan applied. */
  ready(): boolean;
}

export function parseListenAddress(text: string): { host: string; port: number } | undefined {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text);
  if (m === null) return undefined;
  const port = Number(m[3]);
  if (port > 65535) return undefined;
  return { host: m[1] ?? (m[2] || "0.0.0.0"), port };
}

export async function serveEndpoints(e: Endpoints, address: { host: string; port: number }): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD" }).end();
      return;
    }
    const path = (req.url ?? "/").split("?")[0];
    if (path === "/status") {
      const body = `${JSON.stringify(e.status(), null, 2)}\n`;
      res.writeHead(200, { "content-type": "application/json" }).end(body);
    } else if (path === "/metrics" && e.metrics !== undefined) {
      e.metrics().then(
        (m) => res.writeHead(200, { "content-type": m.contentType }).end(m.body),
        () => res.writeHead(500, { "content-type": "text/plain" }).end("metrics failed\n"),
      );
    } else if (path === "/healthz") {
      res.writeHead(200, { "content-type": "text/plain" }).end("ok\n");
    } else if (path === "/readyz") {
      const ready = e.ready();
      res
        .writeHead(ready ? 200 : 503, { "content-type": "text/plain" })
        .end(ready ? "ready\n" : "not ready\n");
    } else {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(address.port, address.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  return server;
}
