export {
  Allocator,
  type ConfigChangeReport,
  type HeldService,
  type PoolStatus,
  type RestoreReport,
  wantedFamilies,
} from "./allocator.ts";
export { confusesBuggyFirmware, prefixRange, rangeSize, summarize } from "./cidr.ts";
export { type ReconcileResult, reconcile } from "./reconcile.ts";
export {
  ANNOTATIONS,
  heldAddresses,
  type RequestError,
  type RequestErrorCode,
  type RequestOptions,
  type ServiceLike,
  type ServiceRequest,
  serviceKey,
  serviceRequest,
} from "./request.ts";
export { sharingConflict } from "./sharing.ts";
export type {
  AllocationFailure,
  AllocationRequest,
  AllocatorOptions,
  Assignment,
  IpamPool,
  IpFamilyPolicy,
  NotInPoolWhy,
  Orphan,
  OrphanPolicy,
  OrphanWhy,
  RestoreConflict,
  ServiceKey,
  ServicePort,
  Sharing,
  SharingConflict,
} from "./types.ts";
