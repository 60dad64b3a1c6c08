// A minimal HTTPS client for the test API server: JSON requests and watch streams, with the
// cluster CA and a client certificate or bearer token. node:https because the global fetch
// cannot take a custom CA or client certificate without undici's Agent (not a dependency).
// The harness self-test uses it; signalbox itself will use @kubernetes/client-node.

import { readFileSync } from "node:fs";
import type { IncomingMessage } from "node:http";
import { Agent, request as httpsRequest } from "node:https";

export interface ApiAuth {
  server: string;
  caFile: string;
  certFile?: string;
  keyFile?: string;
  token?: string;
  /** Reuse connections (benchmarks); off by default so an API server restart leaves no stale sockets. */
  keepAlive?: boolean;
}

export interface ApiResponse {
  status: number;
  text: string;
  /** Parsed JSON body, or undefined when the body is not JSON. */
  body: unknown;
}

export interface WatchEvent {
  type: "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";
  object: Record<string, unknown>;
}

export interface Watch {
  /** Resolves with the first event that satisfies `pred`; rejects after `timeoutMs` or if the stream ends. */
  next(pred: (e: WatchEvent) => boolean, timeoutMs: number): Promise<WatchEvent>;
  readonly events: WatchEvent[];
  close(): void;
}

export class ApiClient {
  private readonly agent: Agent;
  private readonly url: URL;
  private readonly auth: ApiAuth;

  constructor(auth: ApiAuth) {
    this.auth = auth;
    this.url = new URL(auth.server);
    this.agent = new Agent({
      ca: readFileSync(auth.caFile),
      ...(auth.certFile ? { cert: readFileSync(auth.certFile) } : {}),
      ...(auth.keyFile ? { key: readFileSync(auth.keyFile) } : {}),
      keepAlive: auth.keepAlive ?? false,
      ...(auth.keepAlive ? { maxSockets: 64 } : {}),
    });
  }

  private start(
    method: string,
    path: string,
    body: unknown,
    contentType: string,
    timeoutMs: number,
  ): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const headers: Record<string, string> = { accept: "application/json" };
      if (payload !== undefined) headers["content-type"] = contentType;
      if (this.auth.token) headers["authorization"] = `Bearer ${this.auth.token}`;
      const req = httpsRequest(
        {
          host: this.url.hostname,
          port: this.url.port,
          method,
          path,
          agent: this.agent,
          headers,
          timeout: timeoutMs,
        },
        resolve,
      );
      req.on("timeout", () =>
        req.destroy(new Error(`${method} ${path}: no response within ${timeoutMs} ms`)),
      );
      req.on("error", reject);
      req.end(payload);
    });
  }

  /** One request; the body is JSON-encoded. Never throws on HTTP status, only on transport errors. */
  async request(
    method: string,
    path: string,
    body?: unknown,
    opts: { contentType?: string; timeoutMs?: number } = {},
  ): Promise<ApiResponse> {
    const timeoutMs = opts.timeoutMs ?? 15_000;
    const res = await this.start(method, path, body, opts.contentType ?? "application/json", timeoutMs);
    res.setEncoding("utf8");
    let text = "";
    const timer = setTimeout(() => res.destroy(new Error(`${method} ${path}: body not complete`)), timeoutMs);
    try {
      for await (const chunk of res) text += chunk as string;
    } finally {
      clearTimeout(timer);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    return { status: res.statusCode ?? 0, text, body: parsed };
  }

  /** Like request(), but throws unless the status is 2xx; returns the parsed body. */
  async ok<T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
    opts: { contentType?: string; timeoutMs?: number } = {},
  ): Promise<T> {
    const r = await this.request(method, path, body, opts);
    if (r.status < 200 || r.status > 299) throw new Error(`${method} ${path} -> ${r.status}: ${r.text}`);
    return r.body as T;
  }

  /** Opens a watch (`path` must carry `watch=1` and usually `resourceVersion=`). */
  async watch(path: string, connectTimeoutMs = 15_000): Promise<Watch> {
    const res = await this.start("GET", path, undefined, "application/json", connectTimeoutMs);
    if (res.statusCode !== 200) {
      res.resume();
      throw new Error(`watch ${path} -> ${res.statusCode}`);
    }
    res.setEncoding("utf8");
    const events: WatchEvent[] = [];
    const waiters = new Set<() => void>();
    let ended = false;
    let buf = "";
    const wake = (): void => {
      for (const w of [...waiters]) w();
    };
    res.on("data", (chunk: string) => {
      buf += chunk;
      let nl = buf.indexOf("\n");
      while (nl >= 0) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (line) events.push(JSON.parse(line) as WatchEvent);
        nl = buf.indexOf("\n");
      }
      wake();
    });
    const finish = (): void => {
      ended = true;
      wake();
    };
    res.on("end", finish);
    res.on("close", finish);
    res.on("error", finish);
    let seen = 0;
    return {
      events,
      close: () => res.destroy(),
      next: (pred, timeoutMs) =>
        new Promise((resolve, reject) => {
          const check = (): boolean => {
            while (seen < events.length) {
              const e = events[seen++]!;
              if (pred(e)) {
                done();
                resolve(e);
                return true;
              }
            }
            if (ended) {
              done();
              reject(new Error(`watch ${path} ended before the expected event`));
              return true;
            }
            return false;
          };
          const timer = setTimeout(() => {
            done();
            reject(new Error(`watch ${path}: no matching event within ${timeoutMs} ms`));
          }, timeoutMs);
          const done = (): void => {
            clearTimeout(timer);
            waiters.delete(waiter);
          };
          const waiter = (): void => {
            check();
          };
          waiters.add(waiter);
          check();
        }),
    };
  }

  close(): void {
    this.agent.destroy();
  }
}
