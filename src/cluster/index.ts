/**
 * Cluster sources: where snapshots of the cluster come from. The interface and snapshot
 * types, the Kubernetes semantics of the objects in them, and the standalone file source.
 */
export {
  FileClusterSource,
  type FileSourceOptions,
  formatProblem,
  ManifestFolderError,
  type SourceProblem,
  type Timers,
} from "./file/index.ts";
export {
  compareStrings,
  EXCLUDE_FROM_LB_LABEL,
  endpointsOf,
  heldAddresses,
  isCordoned,
  isEndpointServing,
  isExcludedFromLoadBalancers,
  isNetworkUnavailable,
  nodeCondition,
  nodeLabels,
  objectKey,
  SERVICE_NAME_LABEL,
  serviceKey,
  slicesByService,
  slicesOf,
} from "./objects.ts";
export type {
  ClusterSnapshot,
  ClusterSource,
  ConfigMapText,
  EndpointLike,
  EndpointSliceLike,
  NodeConditionLike,
  NodeLike,
  ServiceLike,
} from "./types.ts";
