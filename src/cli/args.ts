/**
 * What every long-running subcommand does with its arguments the same way: parse them
 * (node:util parseArgs, strict), answer --help, and turn a bad value into exit status 2 with
 * the message and the usage text on stderr.
 */
import { type ParseArgsOptionsConfig, parseArgs } from "node:util";
import { parseListenAddress } from "../observe/http.ts";
import { LOG_LEVELS, type LogLevel } from "../observe/logger.ts";

export type Values = Record<string, string | boolean | undefined>;

export class Command {
  readonly name: string;
  readonly usageText: string;

  constructor(name: string, usageText: string) {
    this.name = name;
    this.usageText = usageText;
  }

  /** The values, or the exit status when there is nothing more to do (--help: 0, bad flags: 2). */
  parse(args: string[], options: ParseArgsOptionsConfig): Values | number {
    let values: Values;
    try {
      values = parseArgs({ args, options: { ...options, help: { type: "boolean", short: "h" } } }).values;
    } catch (e) {
      return this.usage((e as Error).message);
    }
    if (values["help"]) {
      process.stdout.write(this.usageText);
      return 0;
    }
    return values;
  }

  /** Writes `signalbox NAME: msg` and the usage text to stderr; returns 2. */
  usage(msg: string): number {
    process.stderr.write(`signalbox ${this.name}: ${msg}\n\n${this.usageText}`);
    return 2;
  }

  logLevel(values: Values): LogLevel | number {
    const level = values["log-level"] as LogLevel;
    return LOG_LEVELS.includes(level) ? level : this.usage(`unknown log level ${level}`);
  }

  listenAddress(values: Values, flag: string): { host: string; port: number } | number {
    const a = parseListenAddress(values[flag] as string);
    return a ?? this.usage(`--${flag} ${values[flag]} is not HOST:PORT`);
  }
}
