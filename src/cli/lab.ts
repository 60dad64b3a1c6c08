/**
 * `signalbox lab`: the whole story on one machine (issue #9). As root, builds in network
 * namespaces a spine, two racks with an FRR ToR each (one node in r1, three in r2) and a
 * client; runs a standalone speaker and an HTTP backend on every node; allocates the sample
 * Services' IPs; then shows, step by step, the allocations, the sessions, the ToR and spine
 * routes with their ECMP next hops, the rack balance warning, and where a few hundred requests
 * from the client land — with plain ECMP, then with weighted announcements.
 *
 *   signalbox lab [--once] [--keep-logs] [--log-level info]
 *
 * Without --once it stays up (status endpoints, `signalbox status`) until Ctrl-C / SIGTERM.
 * Either way, and on any failure, every namespace and process it made is removed (processes
 * by PID). Exit status: 0 success; 1 a step failed (named); 2 prerequisites or usage.
 */
import { parseArgs } from "node:util";
import { Netns } from "./lab/netns.ts";
import { checkPrerequisites } from "./lab/prereq.ts";
import { Printer, StepFailed } from "./lab/print.ts";
import { LabRun } from "./lab/run.ts";
import { HTTP_PORT, NODES, statusAddress } from "./lab/topology.ts";

const USAGE = `Usage: signalbox lab [--once] [--keep-logs] [--log-level LEVEL]

Builds a small Clos fabric in network namespaces (FRR spine and ToRs, four signalbox speakers,
a client) and shows rack balancing with plain and weighted ECMP. Needs root; installs FRR on
Debian/Ubuntu when missing.

Options:
  --once          run through and exit (0 on success, 1 naming the failing step)
  --keep-logs     keep the lab's folder (router and speaker logs, manifests) afterwards
  --log-level L   the speakers' log level (default info)
`;

export async function main(args: string[]): Promise<number> {
  let values: { once?: boolean; "keep-logs"?: boolean; "log-level"?: string; help?: boolean };
  try {
    values = parseArgs({
      args,
      options: {
        once: { type: "boolean", default: false },
        "keep-logs": { type: "boolean", default: false },
        "log-level": { type: "string", default: "info" },
        help: { type: "boolean", short: "h" },
      },
    }).values;
  } catch (e) {
    process.stderr.write(`signalbox lab: ${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const out = new Printer();
  const keep = values["keep-logs"] === true;
  out.line("signalbox lab: a spine, two racks (1 node + 3 nodes), a client; plain vs weighted ECMP");

  const pre = await out.step("Prerequisites", async () => {
    const r = checkPrerequisites((l) => out.say(l));
    if (r.ok) out.say(...r.notes, r.summary);
    return r;
  });
  if (!pre.ok) {
    process.stderr.write(`signalbox lab: ${pre.message}\n`);
    return 2;
  }

  const lab = new Netns();
  const swept = lab.sweepAndRegister();
  if (swept.length > 0) out.say(`removed ${swept.length} namespaces left by a lab that was killed`);
  // Whatever happens (a signal, an error, process.exit), nothing of the lab stays behind.
  const onExit = () => lab.closeSync(keep);
  process.once("exit", onExit);
  let interrupted: ((sig: string) => void) | undefined;
  // Mid-way, a signal removes everything at once and exits; the steps still running fail quietly.
  let aborting: Promise<never> | undefined;
  const onSignal = (sig: NodeJS.Signals) => {
    if (interrupted) interrupted(sig);
    else if (aborting === undefined) {
      process.stderr.write(`\nsignalbox lab: ${sig}: removing the lab\n`);
      aborting = lab.close(keep).then(() => {
        process.stdout.write(`lab removed (${lab.prefix}*)\n`);
        process.exit(130);
      });
    }
  };
  const signals = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
  for (const s of signals) process.on(s, onSignal);

  let code = 0;
  try {
    const running = await new LabRun(lab, out, { logLevel: values["log-level"] ?? "info" }).run();
    out.line();
    if (values.once) {
      out.line("lab: every step passed");
    } else {
      out.line("The lab is running. Status endpoints (reachable from the lab's namespaces):");
      for (const p of running.nodes)
        out.say(
          `${p.node.name}: http://${statusAddress(p.node)}/status   /metrics   (namespace ${lab.nsName(`node-${p.node.name}`)})`,
        );
      out.line("From another terminal:");
      out.say(running.statusCommand);
      out.say(
        `${running.statusCommand.replace(/ status .*/, " status service default/web")} --speakers ${NODES.map(statusAddress).join(",")}`,
      );
      out.say(
        `sudo ip netns exec ${running.net.nodeNs.get("n1")} curl -s http://${statusAddress(NODES[0]!)}/status`,
      );
      const web = running.allocations.find((a) => a.service.name === "web")!.ip;
      out.say(`sudo ip netns exec ${running.net.torNs.get("r2")} ip route show ${web}`);
      out.say(`sudo vtysh --vty_socket ${lab.path("frr-tor-r2")} -c "show bgp ipv4 unicast ${web}"`);
      out.say(`sudo ip netns exec ${running.net.clientNs} curl -s http://${web}:${HTTP_PORT}/`);
      out.say(`logs and manifests: ${lab.dir}`);
      out.line("Ctrl-C removes every namespace and process of the lab.");
      await new Promise<void>((resolve) => {
        interrupted = () => resolve();
      });
      out.line();
      out.line("stopping: removing the lab");
    }
  } catch (e) {
    if (aborting) await aborting;
    code = 1;
    const msg = e instanceof StepFailed ? e.message : `failed: ${(e as Error).stack ?? String(e)}`;
    process.stderr.write(`\nsignalbox lab: ${msg}\n`);
    for (const d of lab.daemons)
      if (!d.running) process.stderr.write(`  ${d.name} (pid ${d.pid}) exited:\n${d.logTail(8)}\n`);
    process.stderr.write(`  logs: ${keep ? lab.dir : "run again with --keep-logs to keep them"}\n`);
  } finally {
    if (aborting) await aborting;
    for (const s of signals) process.off(s, onSignal);
    await lab.close(keep);
    process.off("exit", onExit);
  }
  out.line(`lab removed (${lab.prefix}*${keep ? `; logs kept in ${lab.dir}` : ""})`);
  return code;
}
