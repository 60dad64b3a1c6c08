/**
 * The objects of every file → one snapshot (pure). Files are taken in name order; that order
 * only matters for problems (a duplicate object keeps the one from the first file).
 */
import { compareStrings, objectKey } from "../objects.ts";
import type { ClusterSnapshot, ConfigMapText, EndpointSliceLike, NodeLike, ServiceLike } from "../types.ts";
import type { ManifestObject } from "./manifests.ts";
import type { SourceProblem } from "./problems.ts";

/**
 * Which ConfigMap holds the config when several carry `data.config`: the one with the first
 * of these names (MetalLB's `config`, Helm's `metallb`, ours), if exactly one has it.
 */
export const CONFIGMAP_NAMES = ["config", "metallb", "signalbox"] as const;

type ConfigMapObject = Extract<ManifestObject, { kind: "ConfigMap" }>;

export interface Assembled {
  readonly snapshot: ClusterSnapshot;
  readonly problems: readonly SourceProblem[];
  /** False when the ConfigMap choice was ambiguous; the caller then keeps its previous one. */
  readonly configMapDecided: boolean;
}

export function assemble(files: ReadonlyMap<string, readonly ManifestObject[]>): Assembled {
  const problems: SourceProblem[] = [];
  const services = new Map<string, ServiceLike>();
  const nodes = new Map<string, NodeLike>();
  const slices = new Map<string, EndpointSliceLike>();
  const configMaps: { file: string; cm: ConfigMapObject }[] = [];
  const seenConfigMaps = new Set<string>();

  const names = [...files.keys()].sort(compareStrings);
  for (const file of names) {
    for (const o of files.get(file)!) {
      const dup = (what: string) =>
        problems.push({
          file,
          message: `${what} is declared more than once; the first (in file name order) is used`,
        });
      switch (o.kind) {
        case "Service": {
          const k = objectKey(o.object);
          if (services.has(k)) dup(`Service ${k}`);
          else services.set(k, o.object);
          break;
        }
        case "EndpointSlice": {
          const k = objectKey(o.object);
          if (slices.has(k)) dup(`EndpointSlice ${k}`);
          else slices.set(k, o.object);
          break;
        }
        case "Node": {
          const k = o.object.metadata.name;
          if (nodes.has(k)) dup(`Node ${k}`);
          else nodes.set(k, o.object);
          break;
        }
        case "ConfigMap": {
          const k = `${o.namespace}/${o.name}`;
          if (seenConfigMaps.has(k)) dup(`ConfigMap ${k}`);
          else {
            seenConfigMaps.add(k);
            configMaps.push({ file, cm: o });
          }
          break;
        }
      }
    }
  }

  let configMap: ConfigMapText | undefined;
  let configMapDecided = true;
  if (configMaps.length === 1) {
    configMap = { text: configMaps[0]!.cm.text, origin: configMaps[0]!.cm.where };
  } else if (configMaps.length > 1) {
    const chosen = chooseConfigMap(configMaps.map((c) => c.cm));
    if (chosen === undefined) {
      configMapDecided = false;
      const list = configMaps.map((c) => `${c.cm.namespace}/${c.cm.name} (${c.file})`).join(", ");
      problems.push({
        file: "",
        message: `several ConfigMaps carry data.config and none is the only one named ${CONFIGMAP_NAMES.join(", ")}: ${list}; the previous config stays in force`,
      });
    } else {
      configMap = { text: chosen.text, origin: chosen.where };
    }
  }

  const sorted = <T>(m: Map<string, T>): T[] =>
    [...m.entries()].sort((a, b) => compareStrings(a[0], b[0])).map(([, v]) => deepFreeze(v));
  const snapshot: ClusterSnapshot = Object.freeze({
    configMap: configMap === undefined ? undefined : Object.freeze(configMap),
    services: Object.freeze(sorted(services)),
    nodes: Object.freeze(sorted(nodes)),
    endpointSlices: Object.freeze(sorted(slices)),
  });
  return { snapshot, problems, configMapDecided };
}

function chooseConfigMap(cms: readonly ConfigMapObject[]): ConfigMapObject | undefined {
  for (const name of CONFIGMAP_NAMES) {
    const named = cms.filter((c) => c.name === name);
    if (named.length === 1) return named[0];
    if (named.length > 1) return undefined;
  }
  return undefined;
}

function deepFreeze<T>(v: T): T {
  if (v !== null && typeof v === "object" && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v)) deepFreeze(x);
  }
  return v;
}

/** A canonical text of a snapshot (keys sorted), to tell whether anything changed. */
export function fingerprint(s: ClusterSnapshot): string {
  return stableStringify(s);
}

function stableStringify(v: unknown): string {
  if (v === undefined) return "null";
  if (v === null || typeof v !== "object") return JSON.stringify(v) ?? "null";
  if (Array.isArray(v)) return `[${v.map(stableStringify).join(",")}]`;
  const keys = Object.keys(v).sort(compareStrings);
  return `{${keys
    .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
    .map((k) => `${JSON.stringify(k)}:${stableStringify((v as Record<string, unknown>)[k])}`)
    .join(",")}}`;
}
