/**
 * `signalbox` command: one entry point, one subcommand per role.
 * Each subcommand lives in its own module and is loaded only when used.
 */
interface Subcommand {
  readonly summary: string;
  readonly run: (args: string[]) => Promise<number>;
}

const subcommands: Record<string, Subcommand> = {
  speaker: {
    summary: "speaker --standalone DIR: announce Service IPs from this node over BGP",
    run: async (args) => (await import("./speaker.ts")).main(args),
  },
  controller: {
    summary: "controller: allocate Service IPs from the pools and write them to Service status",
    run: async (args) => (await import("./controller.ts")).main(args),
  },
  status: {
    summary: "status [service NS/NAME]: BGP sessions per node, Services and why a node does not announce",
    run: async (args) => (await import("./status.ts")).main(args),
  },
  lab: {
    summary:
      "lab [--once]: a spine, two racks and four speakers in network namespaces (root): plain vs weighted ECMP",
    run: async (args) => (await import("./lab.ts")).main(args),
  },
  config: {
    summary: "config check FILE: validate a MetalLB-format ConfigMap (or its bare `config` YAML)",
    run: async (args) => (await import("./config.ts")).main(args),
  },
};

export function usage(): string {
  const width = Math.max(...Object.keys(subcommands).map((n) => n.length));
  const lines = Object.entries(subcommands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return [
    "signalbox: bare-metal load balancer for Kubernetes (BGP and ARP/NDP)",
    "",
    "Usage: signalbox <command> [options]",
    "",
    "Commands:",
    ...lines,
    "",
    "Run `signalbox <command> --help` for a command's options.",
  ].join("\n");
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    process.stdout.write(`${usage()}\n`);
    return name === undefined ? 2 : 0;
  }
  const sub = subcommands[name];
  if (sub === undefined) {
    process.stderr.write(`signalbox: unknown command '${name}'\n\n${usage()}\n`);
    return 2;
  }
  return sub.run(rest);
}

if (import.meta.main) {
  // Exit explicitly: a subcommand that returned is done, whatever handles remain.
  process.exit(await main(process.argv.slice(2)));
}
