// The test API server, seen from inside a network namespace: a forwarder (ns-forward.py) that
// listens on 127.0.0.1:6443 in the namespace and connects to the API server's 127.0.0.1 port
// in ours. Loopback to loopback, nothing routed: processes in the namespace (speakers on a
// layer-2 segment) use the kubeconfig this returns as if the API server were local.

import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { type Lab, waitListening } from "../../netns/lib/index.ts";
import type { Cluster } from "./apiserver.ts";

const FORWARD = fileURLToPath(new URL("./ns-forward.py", import.meta.url));
const PORT = 6443;

/** Starts the forwarder in `ns` and returns a kubeconfig (test-admin) for use inside it. */
export async function apiInNamespace(lab: Lab, ns: string, cluster: Cluster): Promise<string> {
  const target = new URL(cluster.server).port;
  lab.spawn(ns, ["/usr/bin/python3", FORWARD, String(PORT), `/proc/${process.pid}/ns/net`, target]);
  await waitListening(lab, ns, PORT);
  const path = lab.path(`${ns.slice(lab.prefix.length)}.kubeconfig`);
  writeFileSync(
    path,
    JSON.stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: [
        {
          name: "t",
          cluster: { server: `https://127.0.0.1:${PORT}`, "certificate-authority": cluster.caFile },
        },
      ],
      users: [
        {
          name: "a",
          user: { "client-certificate": cluster.admin.certFile, "client-key": cluster.admin.keyFile },
        },
      ],
      contexts: [{ name: "t", context: { cluster: "t", user: "a" } }],
      "current-context": "t",
    }),
  );
  return path;
}
