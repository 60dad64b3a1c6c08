/**
 * `signalbox status`, the pure part: the `/status` documents of the controller(s) and the
 * speakers in, one merged report out (sessions per node, Services with who announces them and
 * why the others do not), and its text rendering, in the manner of `birdc show protocols`.
 * No I/O here: status.ts finds the processes, fetches their documents and prints.
 *
 * A document is JSON from the network, so nothing is assumed beyond a light shape check
 * (`checkSpeakerDoc`, `checkControllerDoc`); every list read is guarded.
 */
import type { LeaderStatus } from "../cluster/kubernetes/index.ts";
import type { ControllerStatus } from "../controller/controller.ts";
import type { Reason } from "../speaker/plan.ts";
import { REASON_TEXT } from "../speaker/reasons.ts";
import type { SpeakerStatus } from "../speaker/speaker.ts";

export type Role = "speaker" | "controller";

/** One process to ask: found through the API (a Pod) or named on the command line. */
export interface Target {
  readonly role: Role;
  /** `host:port` (`[v6]:port`) of its status endpoint. */
  readonly address: string;
  /** The Pod, when found through the API. */
  readonly pod?: string;
  /** The node the Pod runs on (spec.nodeName), when found through the API. */
  readonly node?: string;
}

export type Fetched =
  | { readonly target: Target; readonly ok: true; readonly doc: unknown }
  | { readonly target: Target; readonly ok: false; readonly error: string };

/** One entry of the speaker's `services` (speaker.ts status()). */
export interface SpeakerServiceStatus {
  readonly service: string;
  readonly ips: readonly string[];
  readonly announced: boolean;
  readonly reason: Reason;
  readonly addresses: readonly {
    readonly ip: string;
    readonly pool?: string;
    readonly protocol?: string;
    readonly announced: boolean;
    readonly reason: Reason;
  }[];
}

/** The speaker's `/status`: its status() plus `source` (cli/speaker.ts). */
export type SpeakerDoc = Omit<SpeakerStatus, "services"> & {
  readonly services: readonly SpeakerServiceStatus[];
  readonly source?: unknown;
};

/** The controller's `/status`: its status() plus role, identity, leader election, API, events (cli/controller.ts). */
export type ControllerDoc = ControllerStatus & {
  readonly role: "controller";
  readonly identity: string;
  readonly leaderElection: LeaderStatus | "disabled";
  readonly api?: unknown;
  readonly events?: unknown;
};

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === "object" && x !== null;
const list = <T>(x: readonly T[] | undefined): readonly T[] => (Array.isArray(x) ? x : []);

/** The document as a speaker's, or why it is not one. */
export function checkSpeakerDoc(doc: unknown): SpeakerDoc | string {
  if (!isObject(doc)) return "not a JSON object";
  if (doc["role"] === "controller") return "this is a controller's /status, not a speaker's";
  if (typeof doc["node"] !== "string" || !Array.isArray(doc["peers"]) || !Array.isArray(doc["services"]))
    return "not a signalbox speaker /status document (no node, peers, services)";
  return doc as unknown as SpeakerDoc;
}

/** The document as a controller's, or why it is not one. */
export function checkControllerDoc(doc: unknown): ControllerDoc | string {
  if (!isObject(doc)) return "not a JSON object";
  if (doc["role"] !== "controller") {
    if (typeof doc["node"] === "string") return "this is a speaker's /status, not a controller's";
    return "not a signalbox controller /status document (role is not controller)";
  }
  if (!Array.isArray(doc["services"]) || !Array.isArray(doc["pools"]))
    return "not a signalbox controller /status document (no services, pools)";
  return doc as unknown as ControllerDoc;
}

// ---------------------------------------------------------------------------------------------
// The merged report

export interface ControllerView {
  readonly target: Target;
  readonly doc?: ControllerDoc;
  readonly error?: string;
}

export interface SpeakerView {
  readonly target: Target;
  /** The node it speaks for (from its document, else the Pod's node, else its address). */
  readonly node: string;
  readonly doc?: SpeakerDoc;
  readonly error?: string;
}

export interface SessionRow {
  readonly node: string;
  /** `address:port`, plus `src …`/`vrf …`/`#n` when the peer key has them. */
  readonly peer: string;
  readonly localAs: number;
  readonly peerAs: number;
  readonly state: string;
  readonly establishedSince?: string;
  readonly uptimeSeconds?: number;
  /** Prefixes advertised (IPv4 + IPv6), and how many the plan wants on this session. */
  readonly sent: number;
  readonly desired: number;
  readonly received: number;
  readonly flaps: number;
  readonly md5: boolean;
  /** The last session error, else the transport's problem, else why routes are unsendable. */
  readonly lastError?: string;
  readonly lastErrorAt?: string;
}

/** Why a node does not announce: plan.ts reasons, or what the CLI can tell on top. */
export type NodeReason =
  | Reason
  /** Layer 2: this node answers ARP/NDP for the address. */
  | "answering"
  /** Layer 2: eligible, but the election or the runtime says no (`detail` says why). */
  | "notAnswering"
  /** The speaker runs no config (ConfigMap missing, or invalid with no last good one). */
  | "noConfig"
  /** The speaker does not list the Service. */
  | "notSeen";

export interface AddressVerdict {
  readonly ip: string;
  readonly pool: string | undefined;
  readonly protocol: string | undefined;
  readonly announced: boolean;
  readonly reason: NodeReason;
  /** In words, for an operator. */
  readonly text: string;
}

export interface NodeVerdict {
  readonly node: string;
  /** Announces (BGP) or answers (layer 2) at least one address. */
  readonly announced: boolean;
  /** `announced`/`answering`, or the reason of its first address (or of the whole Service). */
  readonly reason: NodeReason;
  readonly text: string;
  readonly addresses: readonly AddressVerdict[];
}

export interface ServiceRow {
  readonly service: string;
  readonly ips: readonly string[];
  readonly pools: readonly string[];
  /** The controller's problem with the Service (AllocationFailed, InvalidRequest), if any. */
  readonly problem?: { readonly reason: string; readonly message: string };
  /** Every reached speaker, sorted by node. */
  readonly nodes: readonly NodeVerdict[];
  /** Nodes announcing (BGP) or answering (layer 2), sorted. */
  readonly announcing: readonly string[];
  /** Reached speakers not announcing, with their reason, sorted by node. */
  readonly notAnnouncing: readonly { readonly node: string; readonly reason: NodeReason }[];
  /** Rack balance summary and warning, from the speakers' analysis (issue #8). */
  readonly balance?: { readonly summary: string; readonly warning?: string };
}

export interface Unreached {
  readonly role: Role;
  /** `speaker n2 (pod …, 10.0.0.5:7473)`: which one, in words. */
  readonly who: string;
  readonly address: string;
  readonly error: string;
}

export interface StatusReport {
  /** Every controller asked, the leader first. */
  readonly controllers: readonly ControllerView[];
  /** The controller whose view counts: the leader, else the first reached. */
  readonly controller: ControllerView | undefined;
  /** Every speaker asked, sorted by node. */
  readonly speakers: readonly SpeakerView[];
  readonly sessions: readonly SessionRow[];
  readonly services: readonly ServiceRow[];
  readonly unreachable: readonly Unreached[];
}

const byString = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** `speaker n2 (pod x, 10.0.0.5:7473)`, `controller 127.0.0.1:7472`. */
export function describeTarget(t: Target, node?: string): string {
  const n = node ?? t.node;
  const name = n === t.address ? undefined : n;
  const parts = [t.pod !== undefined ? `pod ${t.pod}` : undefined, t.address || undefined].filter(
    (x): x is string => x !== undefined,
  );
  if (name !== undefined) return `${t.role} ${name}${parts.length ? ` (${parts.join(", ")})` : ""}`;
  return parts.length ? `${t.role} ${parts.join(", ")}` : t.role;
}

/** Merges what each process said (or why it could not be asked) into one report. */
export function mergeStatus(fetched: readonly Fetched[]): StatusReport {
  const controllers: ControllerView[] = [];
  const speakers: SpeakerView[] = [];
  for (const f of fetched) {
    if (f.target.role === "controller") {
      if (!f.ok) {
        controllers.push({ target: f.target, error: f.error });
        continue;
      }
      const doc = checkControllerDoc(f.doc);
      controllers.push(
        typeof doc === "string" ? { target: f.target, error: doc } : { target: f.target, doc },
      );
    } else {
      const fallback = f.target.node ?? f.target.address;
      if (!f.ok) {
        speakers.push({ target: f.target, node: fallback, error: f.error });
        continue;
      }
      const doc = checkSpeakerDoc(f.doc);
      speakers.push(
        typeof doc === "string"
          ? { target: f.target, node: fallback, error: doc }
          : { target: f.target, node: doc.node, doc },
      );
    }
  }
  speakers.sort((a, b) => byString(a.node, b.node) || byString(a.target.address, b.target.address));
  const rank = (c: ControllerView) => (c.doc === undefined ? 2 : c.doc.leader ? 0 : 1);
  controllers.sort((a, b) => rank(a) - rank(b));
  const controller = controllers.find((c) => c.doc !== undefined);

  const unreachable: Unreached[] = [
    ...controllers.flatMap((c) =>
      c.error === undefined
        ? []
        : [
            {
              role: "controller" as const,
              who: describeTarget(c.target),
              address: c.target.address,
              error: c.error,
            },
          ],
    ),
    ...speakers.flatMap((s) =>
      s.error === undefined
        ? []
        : [
            {
              role: "speaker" as const,
              who: describeTarget(s.target, s.target.node),
              address: s.target.address,
              error: s.error,
            },
          ],
    ),
  ];

  const reached = speakers.filter((s): s is SpeakerView & { doc: SpeakerDoc } => s.doc !== undefined);
  return {
    controllers,
    controller,
    speakers,
    sessions: reached.flatMap((s) => sessionRows(s.node, s.doc)),
    services: serviceRows(controller?.doc, reached),
    unreachable,
  };
}

function sessionRows(node: string, doc: SpeakerDoc): SessionRow[] {
  return list(doc.peers).map((p) => {
    const asns = ` ${p.localAs}>${p.peerAs}`;
    const peer = typeof p.key === "string" ? p.key.replace(asns, "") : `${p.peerAddress}:${p.peerPort}`;
    const lastError =
      p.lastError !== undefined
        ? `${p.lastError.text}${p.lastError.description && !p.lastError.text.includes(p.lastError.description) ? ` (${p.lastError.description})` : ""}`
        : (p.transport?.problem ??
          (p.unsendable ? `${p.unsendable.count} unsendable: ${p.unsendable.reason}` : undefined));
    const advertised = p.prefixes?.advertised;
    return {
      node,
      peer,
      localAs: p.localAs,
      peerAs: p.peerAs,
      state: p.state,
      ...(p.establishedSince !== undefined ? { establishedSince: p.establishedSince } : {}),
      ...(p.uptimeSeconds !== undefined ? { uptimeSeconds: p.uptimeSeconds } : {}),
      sent: (advertised?.ipv4 ?? 0) + (advertised?.ipv6 ?? 0),
      desired: p.prefixes?.desired ?? 0,
      received: p.prefixes?.received ?? 0,
      flaps: p.flaps ?? 0,
      md5: p.transport?.md5 === true,
      ...(lastError !== undefined ? { lastError } : {}),
      ...(p.lastError?.at !== undefined ? { lastErrorAt: p.lastError.at } : {}),
    };
  });
}

/** Layer-2 reasons (src/speaker/l2/runtime.ts NotAnsweringReason) in words. */
const L2_TEXT: Readonly<Record<string, string>> = {
  notElected: "another node won the election",
  noLiveNode: "no eligible node is alive",
  noInterface: "none of the address's interfaces is usable on this node",
  warmingUp: "still listening for the other speakers after start",
  unavailable: "the packet sockets are unavailable",
};

/** What the CLI adds to plan.ts's REASON_TEXT. */
const EXTRA_TEXT: Readonly<Record<string, string>> = {
  answering: "answers ARP/NDP (layer 2)",
  notAnswering: "eligible for layer 2 but not answering",
  noConfig: "this speaker runs no config (ConfigMap missing, or invalid with no last good one)",
  notSeen: "this speaker does not list the Service (not type LoadBalancer, or not seen yet)",
};

/** A reason in words: plan.ts's own text, or the CLI's additions. */
export function reasonText(reason: string): string {
  return (REASON_TEXT as Readonly<Record<string, string>>)[reason] ?? EXTRA_TEXT[reason] ?? reason;
}

function addressVerdict(
  a: SpeakerServiceStatus["addresses"][number],
  doc: SpeakerDoc,
  sessions: readonly SessionRow[],
): AddressVerdict {
  const base = { ip: a.ip, pool: a.pool, protocol: a.protocol };
  if (a.reason === "layer2") {
    const l2 = list(doc.layer2?.addresses).find((x) => x.ip === a.ip);
    if (l2?.answering)
      return {
        ...base,
        announced: true,
        reason: "answering",
        text: `answers ARP/NDP for ${a.ip}${l2.interfaces.length ? ` on ${l2.interfaces.join(", ")}` : ""}`,
      };
    const why =
      l2 === undefined
        ? doc.layer2 === undefined
          ? "the layer 2 runtime is not running"
          : "not in the layer 2 runtime's list yet"
        : `${L2_TEXT[l2.reason ?? ""] ?? l2.reason ?? "not answering"}${l2.winner && l2.reason === "notElected" ? ` (${l2.winner} answers)` : ""}${l2.reason === "unavailable" && doc.layer2?.error ? `: ${doc.layer2.error}` : ""}`;
    return {
      ...base,
      announced: false,
      reason: "notAnswering",
      text: `eligible for layer 2, does not answer for ${a.ip}: ${why}${l2?.reason ? ` (${l2.reason})` : ""}`,
    };
  }
  if (a.announced) {
    const up = sessions.filter((s) => s.state === "Established").length;
    const tail =
      sessions.length === 0
        ? ""
        : up === 0
          ? `, but ${sessions.length === 1 ? "its only BGP session is not" : `none of its ${sessions.length} BGP sessions is`} Established: no router has the route`
          : ` to ${up} of ${sessions.length} peer${sessions.length === 1 ? "" : "s"}`;
    return { ...base, announced: true, reason: "announced", text: `announces ${a.ip} over BGP${tail}` };
  }
  return {
    ...base,
    announced: false,
    reason: a.reason,
    text: `does not announce ${a.ip}: ${reasonText(a.reason)} (${a.reason})`,
  };
}

function nodeVerdict(
  node: string,
  doc: SpeakerDoc,
  key: string,
  sessions: readonly SessionRow[],
): NodeVerdict {
  const s = list(doc.services).find((x) => x.service === key);
  if (s === undefined) {
    const reason: NodeReason =
      doc.config?.state === "missing" || (doc.config?.state === "invalid" && doc.config.running === "none")
        ? "noConfig"
        : "notSeen";
    return { node, announced: false, reason, text: `${reasonText(reason)} (${reason})`, addresses: [] };
  }
  const addresses = list(s.addresses).map((a) => addressVerdict(a, doc, sessions));
  const first = addresses.find((a) => a.announced) ?? addresses[0];
  if (first === undefined)
    return {
      node,
      announced: false,
      reason: s.reason,
      text: `${reasonText(s.reason)} (${s.reason})`,
      addresses,
    };
  const announced = addresses.some((a) => a.announced);
  const text = addresses.map((a) => a.text).join("; ");
  return { node, announced, reason: first.reason, text, addresses };
}

function serviceRows(
  controller: ControllerDoc | undefined,
  speakers: readonly (SpeakerView & { doc: SpeakerDoc })[],
): ServiceRow[] {
  const allocations = new Map(list(controller?.services).map((a) => [a.service, a]));
  const problems = new Map(list(controller?.problems).map((p) => [p.service, p]));
  const keys = new Set<string>([...allocations.keys(), ...problems.keys()]);
  for (const s of speakers) for (const v of list(s.doc.services)) keys.add(v.service);
  const sessionsOf = new Map(speakers.map((s) => [s.node, sessionRows(s.node, s.doc)]));
  const rows: ServiceRow[] = [];
  for (const key of [...keys].sort(byString)) {
    const seen = speakers.flatMap((s) => list(s.doc.services).filter((v) => v.service === key));
    // Not ours: every speaker says another class, and the controller does not mention it.
    if (
      !allocations.has(key) &&
      !problems.has(key) &&
      seen.length > 0 &&
      seen.every((v) => v.reason === "otherClass")
    )
      continue;
    const allocation = allocations.get(key);
    const ips = allocation?.ips.length
      ? [...allocation.ips]
      : [...new Set(seen.flatMap((v) => list(v.ips)))].sort(byString);
    const pools = allocation?.pool
      ? [allocation.pool]
      : [
          ...new Set(
            seen.flatMap((v) => list(v.addresses).flatMap((a) => (a.pool !== undefined ? [a.pool] : []))),
          ),
        ].sort(byString);
    const nodes = speakers.map((s) => nodeVerdict(s.node, s.doc, key, sessionsOf.get(s.node) ?? []));
    const problem = problems.get(key);
    const balance = speakers
      .map((s) => list(s.doc.balance?.services).find((b) => b.service === key))
      .find((b) => b !== undefined);
    rows.push({
      service: key,
      ips,
      pools,
      ...(problem !== undefined ? { problem: { reason: problem.reason, message: problem.message } } : {}),
      nodes,
      announcing: nodes.filter((n) => n.announced).map((n) => n.node),
      notAnnouncing: nodes.filter((n) => !n.announced).map((n) => ({ node: n.node, reason: n.reason })),
      ...(balance !== undefined
        ? {
            balance: {
              summary: balance.summary,
              ...(balance.warning !== undefined ? { warning: balance.warning } : {}),
            },
          }
        : {}),
    });
  }
  return rows;
}

// ---------------------------------------------------------------------------------------------
// Text

/** Columns padded to the widest cell, two spaces apart; the last column is not padded. */
export function table(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  indent = "",
): string[] {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    indent +
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  return [line(headers), ...rows.map(line)];
}

/** `42s`, `5m12s`, `1h02m`, `3d04h`. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const two = (n: number) => String(n).padStart(2, "0");
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${two(s % 60)}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${two(Math.floor((s % 3600) / 60))}m`;
  return `${Math.floor(s / 86400)}d${two(Math.floor((s % 86400) / 3600))}h`;
}

/** `2026-11-27 21:08:10` from an ISO time (UTC, as the speaker writes it). */
function shortTime(iso: string): string {
  return iso.replace("T", " ").replace(/\.\d+Z$|Z$/, "");
}

function configLine(
  c: { state: string; origin?: string; errors?: readonly string[]; running?: string } | undefined,
) {
  if (c === undefined) return "config unknown";
  if (c.state === "valid") return "config valid";
  if (c.state === "missing") return "NO CONFIG (ConfigMap missing)";
  return `CONFIG INVALID (${c.running === "last-good" ? "running the last good one" : "nothing running"})`;
}

function configErrors(
  c: { state: string; errors?: readonly string[] } | undefined,
  indent: string,
): string[] {
  return c?.state === "invalid" ? list(c.errors).map((e) => `${indent}error: ${e}`) : [];
}

function controllerLines(r: StatusReport): string[] {
  if (r.controllers.length === 0) return ["Controller: not asked (no --controller given)"];
  const out: string[] = [];
  for (const c of r.controllers) {
    const where = describeTarget(c.target, c.doc?.identity).replace(/^controller ?/, "");
    const who = where === "" ? "Controller" : `Controller ${where}`;
    if (c.doc === undefined) {
      out.push(`${who}: UNREACHABLE: ${c.error}`);
      continue;
    }
    const d = c.doc;
    const role =
      d.leaderElection === "disabled" ? "single (no leader election)" : d.leader ? "leader" : "standby";
    const counts = `${list(d.services).length} Service${list(d.services).length === 1 ? "" : "s"} allocated, ${list(d.problems).length} problem${list(d.problems).length === 1 ? "" : "s"}`;
    out.push(`${who}: ${role}, ${configLine(d.config)}, ${counts}`);
    out.push(...configErrors(d.config, "  "));
    if (d.writes?.lastError) out.push(`  last write error: ${d.writes.lastError}`);
  }
  return out;
}

function poolLines(c: ControllerDoc | undefined): string[] {
  const pools = list(c?.pools);
  if (pools.length === 0) return [];
  const used = (p: (typeof pools)[number]) => {
    const parts: string[] = [];
    if (Number(p.ipv4.size) > 0 || p.ipv4.used > 0) parts.push(`${p.ipv4.used}/${p.ipv4.size} IPv4`);
    if (Number(p.ipv6.size) > 0 || p.ipv6.used > 0) parts.push(`${p.ipv6.used}/${p.ipv6.size} IPv6`);
    return parts.join(", ") || "0";
  };
  return [
    "",
    "Pools",
    ...table(
      ["Pool", "Protocol", "Auto", "Used", "Addresses"],
      pools.map((p) => [p.name, p.protocol ?? "-", p.autoAssign ? "yes" : "no", used(p), p.cidrs.join(", ")]),
    ),
  ];
}

function sessionTable(rows: readonly SessionRow[], indent: string): string[] {
  return table(
    ["Peer", "Local AS", "Peer AS", "State", "Since", "Sent", "Rcvd", "Last error"],
    rows.map((s) => [
      s.peer,
      String(s.localAs),
      String(s.peerAs),
      s.state,
      s.establishedSince !== undefined
        ? `${shortTime(s.establishedSince)} (${formatDuration(s.uptimeSeconds ?? 0)})`
        : s.lastErrorAt !== undefined
          ? shortTime(s.lastErrorAt)
          : "-",
      s.sent === s.desired ? String(s.sent) : `${s.sent} of ${s.desired}`,
      String(s.received),
      s.lastError ?? "-",
    ]),
    indent,
  );
}

function speakerLines(r: StatusReport): string[] {
  const out: string[] = [];
  for (const s of r.speakers) {
    out.push("");
    const where = describeTarget(s.target, s.node || undefined).replace(/^speaker ?/, "");
    if (s.doc === undefined) {
      out.push(where === "" ? `Speakers: ${s.error}` : `BGP sessions on ${where}: UNREACHABLE: ${s.error}`);
      continue;
    }
    const d = s.doc;
    const listener =
      d.listener === undefined
        ? "BGP listener off"
        : d.listener.up
          ? `listening on ${d.listener.address}`
          : `BGP listener DOWN on ${d.listener.address}: ${d.listener.error ?? "?"}`;
    const l2 =
      d.layer2 === undefined ? "" : d.layer2.error ? `, layer 2 DOWN: ${d.layer2.error}` : ", layer 2 up";
    out.push(`BGP sessions on ${where}: ${configLine(d.config)}, ${listener}${l2}${sourceNote(d.source)}`);
    out.push(...configErrors(d.config, "  "));
    out.push(...sourceProblems(d.source, "  "));
    const rows = r.sessions.filter((x) => x.node === s.node);
    if (rows.length === 0) out.push("  no BGP sessions (no peer selects this node)");
    else out.push(...sessionTable(rows, "  "));
  }
  return out;
}

/** `, API not watching`: the speaker's view of the cluster may be old (it keeps announcing it). */
function sourceNote(source: unknown): string {
  if (!isObject(source)) return "";
  if (source["synced"] === false) return ", API not synced yet";
  if (source["connected"] === false) return ", API watch down (announcing its last view)";
  return "";
}

/** Standalone speakers: the manifest folder's problems (`source.problems`). */
function sourceProblems(source: unknown, indent: string): string[] {
  if (!isObject(source) || !Array.isArray(source["problems"])) return [];
  return source["problems"]
    .filter((p) => typeof p === "string")
    .map((p) => `${indent}manifest problem: ${p}`);
}

/** `n1, n2 (noLocalEndpoints); n3 (nodeCordoned)`: nodes grouped by reason. */
function groupByReason(items: readonly { node: string; reason: string }[]): string {
  const groups = new Map<string, string[]>();
  for (const i of items) groups.set(i.reason, [...(groups.get(i.reason) ?? []), i.node]);
  return [...groups].map(([reason, nodes]) => `${nodes.join(", ")} (${reason})`).join("; ");
}

function serviceLines(r: StatusReport): string[] {
  if (r.services.length === 0)
    return [
      "",
      r.controller === undefined && r.speakers.every((s) => s.doc === undefined)
        ? "Services: unknown (neither the controller nor any speaker was reached)"
        : "Services: none of type LoadBalancer",
    ];
  const rows = r.services.map((s) => {
    const notes = [
      s.notAnnouncing.length ? groupByReason(s.notAnnouncing) : "",
      s.problem ? `controller: ${s.problem.reason}: ${s.problem.message}` : "",
      s.balance?.warning ? `balance: ${s.balance.warning}` : "",
    ].filter((x) => x !== "");
    return [
      s.service,
      s.ips.join(", ") || "-",
      s.pools.join(", ") || "-",
      s.announcing.join(", ") || "-",
      notes.join("; ") || "-",
    ];
  });
  return [
    "",
    "Services",
    ...table(["Service", "IPs", "Pool", "Announced by", "Not announced (reason)"], rows),
  ];
}

function unreachedLines(r: StatusReport): string[] {
  if (r.unreachable.length === 0) return [];
  return ["", `Not reached (their view is missing above): ${r.unreachable.map((u) => u.who).join("; ")}`];
}

/** The whole picture: controller, pools, sessions per node, Services. */
export function renderOverview(r: StatusReport): string {
  return [
    ...controllerLines(r),
    ...poolLines(r.controller?.doc),
    ...speakerLines(r),
    ...serviceLines(r),
    ...unreachedLines(r),
  ].join("\n");
}

/** `ns/name`; a bare name is in namespace `default` (as kubectl reads it). */
export function serviceKeyOf(text: string): string | undefined {
  const parts = text.split("/");
  const ok = (s: string) => /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(s);
  if (parts.length === 1 && ok(parts[0]!)) return `default/${parts[0]}`;
  if (parts.length === 2 && ok(parts[0]!) && ok(parts[1]!)) return text;
  return undefined;
}

/** One Service explained: IPs, pool, the controller's problem, and node by node why (not). */
export function explainService(r: StatusReport, key: string): { found: boolean; text: string } {
  const row = r.services.find((s) => s.service === key);
  const reachedSpeakers = r.speakers.filter((s) => s.doc !== undefined);
  const otherClass = reachedSpeakers.some((s) =>
    list(s.doc!.services).some((v) => v.service === key && v.reason === "otherClass"),
  );
  const out: string[] = [`Service ${key}`];
  if (row === undefined) {
    if (otherClass) {
      out.push(`  ${reasonText("otherClass")}: signalbox leaves it alone (spec.loadBalancerClass)`);
      return { found: true, text: out.join("\n") };
    }
    out.push(
      "  not known to the controller nor to any speaker reached: no such Service, or it is not of type LoadBalancer",
    );
    out.push(...unreachedLines(r).slice(1));
    return { found: false, text: out.join("\n") };
  }
  out.push(`  IPs:   ${row.ips.join(", ") || "none"}`);
  out.push(`  Pool:  ${row.pools.join(", ") || "-"}`);
  const c = r.controller;
  if (c?.doc !== undefined) {
    const allocation = list(c.doc.services).find((a) => a.service === key);
    const orphans = list(c.doc.orphans).filter((o) => o.service === key);
    if (row.problem) out.push(`  Controller: ${row.problem.reason}: ${row.problem.message}`);
    else if (allocation)
      out.push(
        `  Controller: allocated ${allocation.ips.join(", ")}${allocation.pool ? ` from pool ${allocation.pool}` : ""}`,
      );
    else out.push("  Controller: has no allocation for it");
    for (const o of orphans) out.push(`  Controller: keeps ${o.ip} although ${o.why}`);
  } else if (r.controllers.length > 0) {
    out.push("  Controller: not reached (see below)");
  }
  out.push("  Nodes:");
  if (row.nodes.length === 0) out.push("    no speaker reached");
  for (const n of row.nodes) {
    if (n.addresses.length <= 1) {
      out.push(`    ${n.node}: ${n.text}`);
      continue;
    }
    out.push(`    ${n.node}:`);
    for (const a of n.addresses) out.push(`      ${a.text}`);
  }
  if (row.balance) out.push(`  Balance: ${row.balance.warning ?? row.balance.summary}`);
  out.push(...unreachedLines(r).slice(1));
  return { found: true, text: out.join("\n") };
}

// ---------------------------------------------------------------------------------------------
// JSON and secrets

const SECRET_KEY = /pass(word)?$|secret|token|^auth/i;

/**
 * A deep copy with the value of every key that names a secret replaced by `<redacted>`. The
 * documents never carry one (the speaker reports `transport.md5: true`, not the key); this
 * keeps it so whatever a future field or an older process says.
 */
export function redactSecrets<T>(value: T): T {
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (!isObject(v)) return v;
    return Object.fromEntries(
      Object.entries(v).map(([k, x]) => [
        k,
        SECRET_KEY.test(k) && typeof x === "string" ? "<redacted>" : walk(x),
      ]),
    );
  };
  return walk(value) as T;
}

/** The merged document `--json` prints. */
export function reportJson(r: StatusReport, service?: string): unknown {
  const view = (v: { target: Target; doc?: unknown; error?: string }, node?: string) => ({
    ...v.target,
    ...(node !== undefined ? { node } : {}),
    reached: v.doc !== undefined,
    ...(v.error !== undefined ? { error: v.error } : {}),
    ...(v.doc !== undefined ? { status: v.doc } : {}),
  });
  return redactSecrets({
    ok: r.unreachable.length === 0,
    controller: r.controller === undefined ? null : view(r.controller),
    controllers: r.controllers.map((c) => view(c)),
    speakers: r.speakers.map((s) => view(s, s.node)),
    sessions: r.sessions,
    services: service === undefined ? r.services : r.services.filter((s) => s.service === service),
    unreachable: r.unreachable,
  });
}

// ---------------------------------------------------------------------------------------------
// Discovery: Pods → targets (pure; status.ts lists the Pods)

export const STATUS_PORT_NAMES = ["monitoring", "status"] as const;
export const DEFAULT_PORTS: Readonly<Record<Role, number>> = { controller: 7472, speaker: 7473 };
export const COMPONENT_LABEL = "app.kubernetes.io/component";
export const NAME_LABEL = "app.kubernetes.io/name";
export const POD_SELECTOR = `${NAME_LABEL}=signalbox,${COMPONENT_LABEL} in (controller,speaker)`;

/** The fields of a Pod discovery reads. */
export interface PodLike {
  readonly metadata?: { readonly name?: string; readonly labels?: Record<string, string> };
  readonly spec?: {
    readonly nodeName?: string;
    readonly containers?: readonly {
      readonly ports?: readonly { readonly name?: string; readonly containerPort: number }[];
    }[];
  };
  readonly status?: { readonly podIP?: string; readonly phase?: string };
}

export function hostPort(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * Each signalbox Pod as a target: its IP and the container port named `monitoring` (deploy/),
 * or `status`, else the role's default port. A Pod without an IP yet is listed as not
 * reachable, with its phase; so is a role without any Pod.
 */
export function targetsFromPods(pods: readonly PodLike[]): { targets: Target[]; unreached: Fetched[] } {
  const targets: Target[] = [];
  const unreached: Fetched[] = [];
  const sorted = [...pods].sort((a, b) => byString(a.metadata?.name ?? "", b.metadata?.name ?? ""));
  for (const p of sorted) {
    const component = p.metadata?.labels?.[COMPONENT_LABEL];
    if (component !== "controller" && component !== "speaker") continue;
    const ports = (p.spec?.containers ?? []).flatMap((c) => c.ports ?? []);
    const named = STATUS_PORT_NAMES.map((n) => ports.find((x) => x.name === n)).find((x) => x !== undefined);
    const port = named?.containerPort ?? DEFAULT_PORTS[component];
    const ip = p.status?.podIP;
    const role: Role = component;
    const base = {
      role,
      ...(p.metadata?.name !== undefined ? { pod: p.metadata.name } : {}),
      ...(p.spec?.nodeName ? { node: p.spec.nodeName } : {}),
    };
    if (!ip) {
      const t: Target = { ...base, address: "no Pod IP" };
      unreached.push({
        target: t,
        ok: false,
        error: `the Pod has no IP yet (phase ${p.status?.phase ?? "unknown"})`,
      });
      continue;
    }
    targets.push({ ...base, address: hostPort(ip, port) });
  }
  // A cluster runs both: a role without any Pod (scaled to 0, not deployed) is worth an error.
  for (const role of ["controller", "speaker"] as const)
    if (![...targets, ...unreached.map((u) => u.target)].some((t) => t.role === role))
      unreached.push({
        target: { role, address: "" },
        ok: false,
        error: `no ${role} Pod found (label ${COMPONENT_LABEL}=${role})`,
      });
  return { targets, unreached };
}
