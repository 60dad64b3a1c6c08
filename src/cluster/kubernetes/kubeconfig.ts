/**
 * Where the API is: a kubeconfig file when one is named (flag or $KUBECONFIG), else the
 * in-cluster service account (what the Deployment and DaemonSet use).
 *
 * client-node 2.0 builds a new undici Agent for every request (`createDispatcher` inside
 * `applySecurityAuthentication`), so each request opens a new TLS connection and leaves the
 * old one to the garbage collector: at 1,000 Services that is thousands of TLS handshakes on
 * both sides. We keep one Agent per (server, CA, client certificate) instead, so requests and
 * watches share kept-alive connections; a rotated certificate gets a new Agent.
 */
import { createHash } from "node:crypto";
import { KubeConfig } from "@kubernetes/client-node";

export type { KubeConfig };

interface DispatcherFactory {
  createDispatcher?: (cluster: { server?: string } | null, options: Record<string, unknown>) => unknown;
}

/** Makes `kc` reuse one dispatcher per TLS identity; returns false if client-node changed shape. */
export function shareConnections(kc: KubeConfig): boolean {
  const k = kc as unknown as DispatcherFactory;
  const original = k.createDispatcher;
  if (typeof original !== "function") return false;
  const cache = new Map<string, unknown>();
  k.createDispatcher = (cluster, options) => {
    const h = createHash("sha256").update(cluster?.server ?? "");
    for (const f of ["ca", "cert", "key", "pfx", "passphrase", "servername", "rejectUnauthorized"]) {
      const v = options[f];
      h.update(`|${f}=`);
      if (v !== undefined) h.update(Buffer.isBuffer(v) ? v : String(v));
    }
    const key = h.digest("hex");
    let d = cache.get(key);
    if (d === undefined) {
      d = original.call(kc, cluster, options);
      // A certificate rotation makes a new key; forget old Agents beyond a few.
      if (cache.size >= 4) cache.delete(cache.keys().next().value!);
      cache.set(key, d);
    }
    return d;
  };
  return true;
}

export function loadKubeConfig(file?: string): KubeConfig {
  const kc = new KubeConfig();
  const path = file ?? process.env["KUBECONFIG"];
  if (path !== undefined && path !== "") kc.loadFromFile(path);
  else kc.loadFromCluster();
  shareConnections(kc);
  return kc;
}
