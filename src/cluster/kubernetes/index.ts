/**
 * The Kubernetes side of the cluster room: informers that feed snapshots, leader election on a
 * Lease, per-node Leases (layer-2 liveness), and the writers for Service status, annotations
 * and events.
 */
export {
  BACKOFF_FIRST_MS,
  BACKOFF_MAX_MS,
  describeApiError,
  type InformerStatus,
  ResilientInformer,
} from "./informer.ts";
export { type KubeConfig, loadKubeConfig } from "./kubeconfig.ts";
export {
  LeaderElector,
  type LeaderStatus,
  type LeaseDecision,
  type LeaseView,
  leaseDecision,
} from "./lease.ts";
export { type NodeLeaseOptions, NodeLeases } from "./node-leases.ts";
export {
  KubernetesClusterSource,
  type KubernetesSourceOptions,
  type KubernetesSourceStatus,
} from "./source.ts";
export {
  type ClusterWriter,
  type EventSpec,
  isNotFound,
  KubernetesWriter,
  type ObjectRef,
} from "./writer.ts";
