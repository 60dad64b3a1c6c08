/**
 * Prometheus metrics of the controller (`/metrics`), read from its status at scrape time, like
 * the speaker's (metrics.ts). MetalLB's counterpart is named in each help text.
 */
import { Gauge, Registry } from "prom-client";
import type { ControllerStatus } from "../controller/controller.ts";
import { perScrape } from "./metrics.ts";

const num = (c: number | string) => (typeof c === "number" ? c : Number(c));

export function controllerMetrics(status: () => ControllerStatus): Registry {
  const registry = new Registry();
  const snapshot = perScrape(status);
  const gauge = (
    name: string,
    help: string,
    labelNames: readonly string[],
    fill: (g: Gauge<string>, s: ControllerStatus) => void,
  ) =>
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        this.reset();
        fill(this, snapshot());
      },
    });

  gauge(
    "signalbox_address_pool_size",
    "Usable addresses in the pool, per family (MetalLB: metallb_allocator_addresses_total)",
    ["pool", "family"],
    (g, s) => {
      for (const p of s.pools) {
        g.set({ pool: p.name, family: "ipv4" }, num(p.ipv4.size));
        g.set({ pool: p.name, family: "ipv6" }, num(p.ipv6.size));
      }
    },
  );
  gauge(
    "signalbox_address_pool_used",
    "Addresses of the pool held by Services, per family (MetalLB: metallb_allocator_addresses_in_use_total)",
    ["pool", "family"],
    (g, s) => {
      for (const p of s.pools) {
        g.set({ pool: p.name, family: "ipv4" }, p.ipv4.used);
        g.set({ pool: p.name, family: "ipv6" }, p.ipv6.used);
      }
    },
  );
  gauge(
    "signalbox_allocation_failures",
    "Allocation failures told since start (a Service failing the same way counts once; MetalLB has no counterpart, it logs)",
    [],
    (g, s) => g.set(s.allocationFailures),
  );
  gauge(
    "signalbox_services_failing",
    "Services that currently have no address they asked for, or an invalid request, by reason",
    ["reason"],
    (g, s) => {
      const by = new Map<string, number>();
      for (const p of s.problems) by.set(p.reason, (by.get(p.reason) ?? 0) + 1);
      for (const [reason, n] of by) g.set({ reason }, n);
    },
  );
  gauge(
    "signalbox_controller_leader",
    "1 on the replica that holds the leader Lease and writes allocations",
    [],
    (g, s) => g.set(s.leader ? 1 : 0),
  );
  gauge("signalbox_controller_writes", "Status and annotation writes, by outcome", ["outcome"], (g, s) => {
    g.set({ outcome: "done" }, s.writes.done);
    g.set({ outcome: "failed" }, s.writes.failed);
  });
  gauge(
    "signalbox_config_loaded",
    "1 when the latest config is valid and applied (MetalLB: metallb_k8s_client_config_loaded_bool)",
    [],
    (g, s) => g.set(s.config.state === "valid" ? 1 : 0),
  );
  gauge(
    "signalbox_config_stale",
    "1 when a rejected config leaves an older valid one running (MetalLB: metallb_k8s_client_config_stale_bool)",
    [],
    (g, s) => g.set(s.config.state === "invalid" && s.config.running === "last-good" ? 1 : 0),
  );
  return registry;
}
