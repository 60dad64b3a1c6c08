/** The standalone ClusterSource: a folder of Kubernetes manifests (see ../README.md). */
export { isManifestName, type ManifestObject, readManifestFile } from "./manifests.ts";
export { formatProblem, type SourceProblem } from "./problems.ts";
export { assemble, CONFIGMAP_NAMES } from "./snapshot.ts";
export {
  FileClusterSource,
  type FileSourceOptions,
  ManifestFolderError,
  systemTimers,
  type Timers,
} from "./source.ts";
