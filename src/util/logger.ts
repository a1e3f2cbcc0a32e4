/**
 * Structured logging: one record per event, printed as readable text or as JSON lines. Each
 * field is bounded (`bounds.ts`): a long text or a large value is cut with a marker, a value
 * nested too deep is replaced by one.
 *
 * @module
 */
import { boundValue } from "./bounds.ts";
import { toJsonValue } from "./json.ts";
import { clearImmediate, setImmediate } from "node:timers";

/** Severity of a log record. */
export type LogLevel = "debug" | "info" | "warn" | "error";

/** How records are printed: `text` for people, `json` for machines (one object per line). */
export type LogFormat = "text" | "json";

/** Structured fields of a log record. */
export type LogFields = Readonly<Record<string, unknown>>;

/** Receives log records. Pass one in; Warren never logs through a global. */
export interface Logger {
  /** Logs a debug record. */
  debug(event: string, fields?: LogFields): void;
  /** Logs an info record. */
  info(event: string, fields?: LogFields): void;
  /** Logs a warning. */
  warn(event: string, fields?: LogFields): void;
  /** Logs an error. */
  error(event: string, fields?: LogFields): void;
  /** A logger that adds `fields` to each record. */
  child(fields: LogFields): Logger;
  /** Writes out at once any records it holds back (a logger may batch its writes). */
  flush?(): void;
}

/** Options of {@linkcode createLogger}. */
export interface LoggerOptions {
  /**
   * How records are printed.
   * @default {"text"}
   */
  format?: LogFormat;
  /**
   * The lowest level printed.
   * @default {"info"}
   */
  level?: LogLevel;
  /**
   * Whether text records use colours.
   * @default {false}
   */
  color?: boolean;
  /**
   * Where each line goes (without its newline), at once.
   * @default {standard output, in batches: the lines of one turn of the event loop are written
   * together, and {@linkcode Logger.flush} writes them at once}
   */
  write?: (line: string) => void;
}

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** The log levels, lowest first. */
export const LOG_LEVELS: readonly LogLevel[] = ["debug", "info", "warn", "error"];

/** A logger that drops every record. */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child: () => silentLogger,
};

/**
 * Creates a logger that prints records as text or JSON lines.
 *
 * @example JSON lines
 * ```ts
 * import { createLogger } from "./logger.ts";
 *
 * const lines: string[] = [];
 * const log = createLogger({ format: "json", write: (line) => lines.push(line) });
 * log.child({ task: "sum" }).info("task.done", { ms: 3, result: 5050n });
 * // lines[0] is {"time":"…","level":"info","event":"task.done","task":"sum","ms":3,"result":"5050"}
 * ```
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const format = options.format ?? "text";
  const threshold = LEVELS[options.level ?? "info"];
  const sink = options.write ? { write: options.write, flush() {} } : stdoutBatches();
  const render = format === "json" ? renderJson : options.color ? renderColorText : renderText;
  const make = (bound: LogFields): Logger => {
    const emit = (level: LogLevel) => (event: string, fields?: LogFields) => {
      if (LEVELS[level] < threshold) return;
      sink.write(render(new Date(), level, event, fields ? { ...bound, ...fields } : bound));
    };
    return {
      debug: emit("debug"),
      info: emit("info"),
      warn: emit("warn"),
      error: emit("error"),
      child: (fields) => make({ ...bound, ...fields }),
      flush: sink.flush,
    };
  };
  return make({});
}

const encoder = new TextEncoder();

/** Writes `line` and a newline to standard error, at once. */
function writeStderr(line: string): void {
  const bytes = encoder.encode(line + "\n");
  for (let done = 0; done < bytes.length;) done += Deno.stderr.writeSync(bytes.subarray(done));
}

/**
 * The logger of a producer, worker or admin given no `logger`: text lines on standard error
 * from `level` (Warren's own events from `warn`; a handler's `context.log` from `info`).
 *
 * @example
 * ```ts
 * import { defaultLogger } from "./logger.ts";
 *
 * defaultLogger("warn").info("not printed"); // below warn
 * ```
 */
export function defaultLogger(level: LogLevel): Logger {
  return createLogger({ level, write: writeStderr });
}

/**
 * Lines to standard output, written together at the end of each turn of the event loop (one
 * system call for many lines), when asked, and when the process exits.
 */
function stdoutBatches(): { write(line: string): void; flush(): void } {
  let lines: string[] = [];
  let scheduled: ReturnType<typeof setImmediate> | undefined;
  const flush = () => {
    // Flushed when asked (a worker, before its acks): the turn's end has nothing left to do,
    // and is not waited for (at prefetch 1 that would wake the process twice a task).
    if (scheduled !== undefined) clearImmediate(scheduled);
    scheduled = undefined;
    if (lines.length === 0) return;
    const bytes = encoder.encode(lines.join("\n") + "\n");
    lines = [];
    for (let done = 0; done < bytes.length;) done += Deno.stdout.writeSync(bytes.subarray(done));
  };
  globalThis.addEventListener("unload", flush);
  return {
    write(line) {
      lines.push(line);
      scheduled ??= setImmediate(flush);
    },
    flush,
  };
}

const RESERVED = new Set(["time", "level", "event"]);

function renderJson(time: Date, level: LogLevel, event: string, fields: LogFields): string {
  const record: Record<string, unknown> = { time: time.toISOString(), level, event };
  // A field may not replace the record's own keys: it is kept as `field.<key>`.
  for (const [key, value] of Object.entries(fields)) {
    record[RESERVED.has(key) ? `field.${key}` : key] = boundValue(value);
  }
  return JSON.stringify(record, toJsonValue);
}

const PLAIN = /^[^\s"=]+$/;

function renderValue(value: unknown): string {
  switch (typeof value) {
    case "string":
      return PLAIN.test(value) ? value : JSON.stringify(value);
    case "number":
    case "boolean":
    case "bigint":
      return String(value);
  }
  // The replacer also sees the value itself: an error becomes its message.
  return JSON.stringify(value, toJsonValue) ?? String(value);
}

function textLine(time: Date, level: string, event: string, fields: LogFields): string {
  let line = `${time.toISOString().slice(11, 23)} ${level} ${event}`;
  for (const key in fields) {
    const value = fields[key];
    if (value !== undefined) line += ` ${key}=${renderValue(boundValue(value))}`;
  }
  return line;
}

const TAGS: Record<LogLevel, string> = {
  debug: "DEBUG",
  info: "INFO ",
  warn: "WARN ",
  error: "ERROR",
};

function renderText(time: Date, level: LogLevel, event: string, fields: LogFields): string {
  return textLine(time, TAGS[level], event, fields);
}

const COLORS: Record<LogLevel, string> = {
  debug: "\x1b[90m",
  info: "\x1b[32m",
  warn: "\x1b[33m",
  error: "\x1b[31m",
};

function renderColorText(time: Date, level: LogLevel, event: string, fields: LogFields): string {
  return textLine(time, `${COLORS[level]}${TAGS[level]}\x1b[0m`, `\x1b[1m${event}\x1b[0m`, fields);
}

/**
 * A logger that writes through `logger` with `prefix` before each event's name: the records of
 * a part that logs the same events as another (a second connection's `connection.up`, say)
 * stay apart from them.
 *
 * @example
 * ```ts
 * import { createLogger, prefixEvents } from "./logger.ts";
 *
 * const lines: string[] = [];
 * const log = prefixEvents(createLogger({ write: (line) => lines.push(line) }), "cancels.");
 * log.info("connection.up");
 * lines[0]!.includes("cancels.connection.up"); // true
 * ```
 */
export function prefixEvents(logger: Logger, prefix: string): Logger {
  return {
    debug: (event, fields) => logger.debug(prefix + event, fields),
    info: (event, fields) => logger.info(prefix + event, fields),
    warn: (event, fields) => logger.warn(prefix + event, fields),
    error: (event, fields) => logger.error(prefix + event, fields),
    child: (fields) => prefixEvents(logger.child(fields), prefix),
    ...(logger.flush ? { flush: () => logger.flush?.() } : {}),
  };
}
