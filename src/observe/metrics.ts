/**
 * Prometheus metrics of the speaker (`/metrics`), read from its status at scrape time so the
 * numbers can never drift from what `/status` says. Names follow MetalLB's where one exists
 * (in each help text), so dashboards and alerts port by renaming the prefix.
 */
import { Counter, Gauge, Registry } from "prom-client";
import type { SpeakerStatus } from "../speaker/speaker.ts";

/**
 * One status per scrape, however many gauges read it: prom-client calls every gauge's
 * collect() in the same turn of the event loop, so the status read first is kept until the
 * next microtask. (Building the speaker's or controller's status walks every Service.)
 */
export function perScrape<T>(read: () => T): () => T {
  let cached: { readonly value: T } | undefined;
  return () => {
    if (cached === undefined) {
      cached = { value: read() };
      queueMicrotask(() => {
        cached = undefined;
      });
    }
    return cached.value;
  };
}

export function speakerMetrics(status: () => SpeakerStatus): Registry {
  const registry = new Registry();
  const snapshot = perScrape(status);

  new Gauge({
    name: "signalbox_bgp_session_up",
    help: "1 when the BGP session with the peer is Established (MetalLB: metallb_bgp_session_up)",
    labelNames: ["peer"],
    registers: [registry],
    collect() {
      this.reset();
      for (const p of snapshot().peers) this.set({ peer: p.peerAddress }, p.state === "Established" ? 1 : 0);
    },
  });
  new Gauge({
    name: "signalbox_bgp_announced_prefixes",
    help: "Prefixes advertised to the peer, in its Adj-RIB-Out (MetalLB: metallb_bgp_announced_prefixes_total)",
    labelNames: ["peer", "family"],
    registers: [registry],
    collect() {
      this.reset();
      for (const p of snapshot().peers) {
        this.set({ peer: p.peerAddress, family: "ipv4" }, p.prefixes.advertised.ipv4);
        this.set({ peer: p.peerAddress, family: "ipv6" }, p.prefixes.advertised.ipv6);
      }
    },
  });
  new Gauge({
    name: "signalbox_bgp_received_prefixes",
    help: "Prefixes the peer announces to us (counted, never used: signalbox only originates)",
    labelNames: ["peer"],
    registers: [registry],
    collect() {
      this.reset();
      for (const p of snapshot().peers) this.set({ peer: p.peerAddress }, p.prefixes.received);
    },
  });
  new Gauge({
    name: "signalbox_bgp_messages",
    help: "BGP messages sent and received on the peer's session object, by type (MetalLB: metallb_bgp_updates_total for type=update, direction=sent)",
    labelNames: ["peer", "direction", "type"],
    registers: [registry],
    collect() {
      this.reset();
      for (const p of snapshot().peers) {
        for (const [direction, counts] of [
          ["sent", p.messages.sent],
          ["received", p.messages.received],
        ] as const) {
          for (const [type, n] of Object.entries(counts))
            this.set({ peer: p.peerAddress, direction, type }, n);
        }
      }
    },
  });
  new Gauge({
    name: "signalbox_bgp_notifications",
    help: "BGP NOTIFICATIONs sent and received on the peer's session, by RFC 4271 §4.5 code and subcode (MetalLB has no counterpart; FRR: show bgp neighbor 'Notifications')",
    labelNames: ["peer", "direction", "code", "subcode"],
    registers: [registry],
    collect() {
      this.reset();
      for (const p of snapshot().peers) {
        for (const [direction, counts] of [
          ["sent", p.notifications.sent],
          ["received", p.notifications.received],
        ] as const) {
          for (const [k, n] of Object.entries(counts)) {
            const [code, subcode] = k.split("/");
            this.set({ peer: p.peerAddress, direction, code, subcode }, n);
          }
        }
      }
    },
  });
  new Gauge({
    name: "signalbox_bgp_session_flaps",
    help: "Times the session left Established since the speaker started",
    labelNames: ["peer"],
    registers: [registry],
    collect() {
      this.reset();
      for (const p of snapshot().peers) this.set({ peer: p.peerAddress }, p.flaps);
    },
  });
  new Gauge({
    name: "signalbox_config_loaded",
    help: "1 when the latest config is valid and applied; 0 when it was rejected (the last good one runs on) or missing (MetalLB: metallb_k8s_client_config_loaded_bool)",
    registers: [registry],
    collect() {
      this.set(snapshot().config.state === "valid" ? 1 : 0);
    },
  });
  new Gauge({
    name: "signalbox_config_stale",
    help: "1 when a rejected config leaves an older valid one running (MetalLB: metallb_k8s_client_config_stale_bool)",
    registers: [registry],
    collect() {
      const c = snapshot().config;
      this.set(c.state === "invalid" && c.running === "last-good" ? 1 : 0);
    },
  });
  new Gauge({
    name: "signalbox_service_imbalance_ratio",
    help: "Largest share of a Service's traffic on one node (Cluster) or endpoint (Local) over the fair share, under equal-cost ECMP at spine and ToR; 1 is even (rack balance, no MetalLB counterpart)",
    labelNames: ["service"],
    registers: [registry],
    collect() {
      this.reset();
      for (const s of snapshot().balance?.services ?? []) this.set({ service: s.service }, s.imbalance);
    },
  });
  new Gauge({
    name: "signalbox_service_imbalance_warning",
    help: "1 when the Service's imbalance ratio is above rack-balance.imbalance-threshold and its pool does not correct it with link bandwidth",
    labelNames: ["service"],
    registers: [registry],
    collect() {
      this.reset();
      for (const s of snapshot().balance?.services ?? [])
        this.set({ service: s.service }, s.warning === undefined ? 0 : 1);
    },
  });
  layer2Metrics(registry, snapshot);
  return registry;
}

/** Layer 2 (src/speaker/l2): answers, gratuitous announcements, who answers, peers heard. */
function layer2Metrics(registry: Registry, snapshot: () => SpeakerStatus): void {
  const addresses = () => snapshot().layer2?.addresses ?? [];
  new Counter({
    name: "signalbox_layer2_responses_sent",
    help: "ARP replies and Neighbor Advertisements sent for the address (MetalLB: metallb_layer2_responses_sent)",
    labelNames: ["ip"],
    registers: [registry],
    collect() {
      this.reset();
      for (const a of addresses()) this.inc({ ip: a.ip }, a.replies);
    },
  });
  new Counter({
    name: "signalbox_layer2_gratuitous_sent",
    help: "Gratuitous ARP and unsolicited Neighbor Advertisement frames sent for the address (MetalLB: metallb_layer2_gratuitous_sent)",
    labelNames: ["ip"],
    registers: [registry],
    collect() {
      this.reset();
      for (const a of addresses()) this.inc({ ip: a.ip }, a.gratuitous);
    },
  });
  new Gauge({
    name: "signalbox_layer2_announcing",
    help: "1 when this node answers ARP/NDP for the address, 0 when it is eligible but another node (or none) answers",
    labelNames: ["ip"],
    registers: [registry],
    collect() {
      this.reset();
      for (const a of addresses()) this.set({ ip: a.ip }, a.answering ? 1 : 0);
    },
  });
  new Gauge({
    name: "signalbox_layer2_peers_alive",
    help: "Other speakers counted alive for the layer-2 election (heard within their hold time, or shown alive by the API)",
    registers: [registry],
    collect() {
      this.set((snapshot().layer2?.members ?? []).filter((m) => m.counted).length);
    },
  });
}
