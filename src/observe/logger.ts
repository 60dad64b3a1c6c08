/**
 * Structured logs: pino JSON lines on stdout. BGP passwords are redacted by the logger itself
 * (any field named `password`, at any of the depths we log), so no code path can leak one.
 */
import { type Logger, pino } from "pino";

export type { Logger };

export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export function createLogger(level: LogLevel = "info", destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: ["password", "*.password", "*.*.password", "peer.password", "config.peers[*].password"],
        censor: "<redacted>",
      },
      formatters: { level: (label) => ({ level: label }) },
    },
    destination as never,
  );
}

/** A logger that drops everything, for tests. */
export const silentLogger: Logger = pino({ level: "silent" });
