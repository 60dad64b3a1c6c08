import type { Sharing, SharingConflict } from "./types.ts";

/**
 * Why `requester` may not share an address with `holder`; undefined when it may.
 *
 * MetalLB `allocator.sharingOK` and `checkSharing`: both carry a sharing key, the keys are
 * equal, the backend keys are equal (both Cluster, or both Local with the same selector),
 * and no (protocol, port) pair is used by both. The checks run in that order, so the
 * reason given is the first one that fails.
 */
export function sharingConflict(
  requester: Sharing | undefined,
  holder: Sharing | undefined,
): SharingConflict | undefined {
  if (holder === undefined) return { kind: "holder-not-shared" };
  if (requester === undefined) return { kind: "not-shared" };
  if (requester.key !== holder.key)
    return { kind: "key-mismatch", key: requester.key, holderKey: holder.key };
  if (requester.backend !== holder.backend)
    return { kind: "traffic-policy", backend: requester.backend, holderBackend: holder.backend };
  for (const p of requester.ports) {
    for (const q of holder.ports) {
      if (p.port === q.port && p.protocol === q.protocol)
        return { kind: "port-overlap", protocol: p.protocol, port: p.port };
    }
  }
  return undefined;
}
