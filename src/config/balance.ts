/**
 * `rack-balance` (top level) and `address-pools[].link-bandwidth`: signalbox additions for
 * rack-aware balancing (issue #8). How racks are found, when an uneven ECMP split is warned
 * about, and which pools correct it with the BGP Link Bandwidth extended community
 * (RFC 10005, formerly draft-ietf-idr-link-bandwidth). README.md "rack-balance" has the format.
 */
import { isScalar, type Scalar } from "yaml";
import { keyPath, quote } from "./issues.ts";
import type { Fields, Reader } from "./reader.ts";
import { labelKeyProblem } from "./selector.ts";
import { closest } from "./suggest.ts";
import type { LinkBandwidthMode, RackBalance, RacksFrom } from "./types.ts";

export const rackBalanceKeys = [
  "rack-label",
  "racks-from",
  "imbalance-threshold",
  "link-bandwidth-transitive",
] as const;

/** Kubernetes' well-known zone label (kubernetes.io/docs/reference/labels-annotations-taints). */
export const DEFAULT_RACK_LABEL = "topology.kubernetes.io/zone";
/** Warn when the busiest node (or endpoint) takes more than 1.5 times its fair share. */
export const DEFAULT_IMBALANCE_THRESHOLD = 1.5;
/** Thresholds above this would never warn about anything an operator could see. */
export const MAX_IMBALANCE_THRESHOLD = 1000;

export const DEFAULT_RACK_BALANCE: RackBalance = {
  rackLabel: DEFAULT_RACK_LABEL,
  racksFrom: "label",
  imbalanceThreshold: DEFAULT_IMBALANCE_THRESHOLD,
  linkBandwidthTransitive: true,
};

const racksFromValues: readonly RacksFrom[] = ["label", "peers", "peer-asn"];
export const linkBandwidthModes: readonly LinkBandwidthMode[] = ["off", "endpoints"];

/** `rack-balance`: every key optional; absent means the defaults. */
export function readRackBalance(r: Reader, top: Fields): RackBalance {
  const field = top.byKey.get("rack-balance");
  if (field?.value == null) return DEFAULT_RACK_BALANCE;
  const f = r.object(field.value, field.path, rackBalanceKeys);
  if (f === undefined) return DEFAULT_RACK_BALANCE;

  let rackLabel = DEFAULT_RACK_LABEL;
  const label = r.string(f, "rack-label");
  if (label !== undefined) {
    const problem = label === "" ? "must not be empty" : labelKeyProblem(label);
    if (problem === undefined) rackLabel = label;
    else
      r.error(
        keyPath(f.path, "rack-label"),
        `${quote(label)} is not a label key: ${problem}`,
        f.byKey.get("rack-label")?.value,
      );
  }

  let racksFrom: RacksFrom = "label";
  const from = r.string(f, "racks-from");
  if (from !== undefined) {
    const known = racksFromValues.find((v) => v === from);
    if (known !== undefined) racksFrom = known;
    else
      r.error(keyPath(f.path, "racks-from"), oneOf(from, racksFromValues), f.byKey.get("racks-from")?.value);
  }

  const imbalanceThreshold =
    readRatio(r, f, "imbalance-threshold", 1, MAX_IMBALANCE_THRESHOLD) ?? DEFAULT_IMBALANCE_THRESHOLD;
  const linkBandwidthTransitive = r.bool(f, "link-bandwidth-transitive") ?? true;
  return { rackLabel, racksFrom, imbalanceThreshold, linkBandwidthTransitive };
}

/** `link-bandwidth` of a pool: `off` (default) or `endpoints`; bgp pools only. */
export function readLinkBandwidth(r: Reader, f: Fields, protocol: string | undefined): LinkBandwidthMode {
  const text = r.string(f, "link-bandwidth");
  if (text === undefined) return "off";
  const node = f.byKey.get("link-bandwidth")?.value;
  const mode = linkBandwidthModes.find((m) => m === text);
  if (mode === undefined) {
    r.error(keyPath(f.path, "link-bandwidth"), oneOf(text, linkBandwidthModes), node);
    return "off";
  }
  if (mode !== "off" && protocol === "layer2") {
    r.error(
      keyPath(f.path, "link-bandwidth"),
      "is only for bgp pools: layer-2 addresses are answered by one node, there is no ECMP to weight",
      node,
    );
    return "off";
  }
  return mode;
}

function oneOf(text: string, values: readonly string[]): string {
  const hint = closest(text, values);
  const list = `${values.slice(0, -1).join(", ")} or ${values[values.length - 1]}`;
  return `must be ${list}, not ${quote(text)}${hint === undefined ? "" : ` (did you mean ${JSON.stringify(hint)}?)`}`;
}

/**
 * A plain decimal number within [min, max] (`1.5`, `2`). go-yaml reads such a field into a
 * float64; a quoted string, `.inf` or `.nan` is an error here.
 */
function readRatio(r: Reader, f: Fields, key: string, min: number, max: number): number | undefined {
  const field = f.byKey.get(key);
  if (field?.value == null) return undefined;
  const v = field.value;
  if (!isScalar(v)) {
    r.error(field.path, "must be a number, not a list or mapping", v);
    return undefined;
  }
  const s = v as Scalar;
  const text = r.scalarText(s);
  const n =
    s.type === "PLAIN" && /^[+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isFinite(n)) {
    const what = s.type === "PLAIN" ? quote(text) : `the quoted string ${quote(text)}`;
    r.error(field.path, `must be a number such as 1.5, not ${what}`, s);
    return undefined;
  }
  if (n < min || n > max) {
    r.error(
      field.path,
      `${text} is out of range: must be ${min}-${max} (the largest share over the fair share; 1 warns about any imbalance)`,
      s,
    );
    return undefined;
  }
  return n;
}
