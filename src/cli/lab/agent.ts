/**
 * The lab's two small programs, run by the lab inside a namespace (`ip netns exec`):
 *
 *   agent.ts serve NAME PORT          an HTTP backend that answers every request with NAME
 *   agent.ts fetch URL COUNT [PAR]    COUNT requests, each on a new TCP connection (so a new
 *                                     source port, so a new ECMP hash), PAR at a time; prints
 *                                     {"answers":{NAME:n,…},"errors":n,"firstError":…} as JSON
 *
 * Every request is bounded (2 s); the whole fetch by COUNT × 2 s at worst.
 */
import { createServer, request } from "node:http";

function serve(name: string, port: number): void {
  const server = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/plain", connection: "close" });
    res.end(`${name}\n`);
  });
  server.listen(port, "0.0.0.0");
  const stop = () => server.close(() => process.exit(0));
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}

function once(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, signal: AbortSignal.timeout(2000) }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => {
        body += d;
      });
      res.on("end", () => resolve(body.trim()));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

async function fetchMany(url: string, count: number, parallel: number): Promise<void> {
  const answers: Record<string, number> = {};
  let errors = 0;
  let firstError: string | undefined;
  let next = 0;
  const worker = async () => {
    while (next < count) {
      next++;
      try {
        const who = await once(url);
        answers[who] = (answers[who] ?? 0) + 1;
      } catch (e) {
        errors++;
        firstError ??= (e as Error).message;
      }
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  process.stdout.write(`${JSON.stringify({ answers, errors, firstError })}\n`);
}

const [mode, a, b, c] = process.argv.slice(2);
if (mode === "serve" && a && b) serve(a, Number(b));
else if (mode === "fetch" && a && b) await fetchMany(a, Number(b), Number(c ?? 8));
else {
  process.stderr.write("usage: agent.ts serve NAME PORT | fetch URL COUNT [PARALLEL]\n");
  process.exit(2);
}
