/**
 * Where the API is: a kubeconfig file when one is named (flag or $KUBECONFIG), else the
 * in-cluster service account (what the Deployment and DaemonSet use).
 */
import { KubeConfig } from "@kubernetes/client-node";

export type { KubeConfig };

export function loadKubeConfig(file?: string): KubeConfig {
  const kc = new KubeConfig();
  const path = file ?? process.env["KUBECONFIG"];
  if (path !== undefined && path !== "") kc.loadFromFile(path);
  else kc.loadFromCluster();
  return kc;
}
