/**
 * What benchmark consumers tell the orchestrator, one line each on stderr: that they are ready
 * and wait for the signal to start (when started gated), progress (how many tasks handled, when
 * the last one was) every 50 ms while it changes, and a final report with every latency when
 * they stop.
 *
 * @module
 */

/** Prefix of the lines meant for the orchestrator (other stderr lines are kept as diagnostics). */
export const LINE_PREFIX = "@bench ";

/** A gated consumer has loaded and waits for `SIGUSR2` before it connects. */
export interface ReadyLine {
  /** Always `ready`. */
  readonly type: "ready";
}

/** Progress of one consumer. */
export interface ProgressLine {
  /** Always `progress`. */
  readonly type: "progress";
  /** Tasks handled so far. */
  readonly count: number;
  /** When the last one was handled, in epoch milliseconds (0 before the first). */
  readonly last: number;
}

/** What a consumer reports when it stops. */
export interface FinalLine {
  /** Always `final`. */
  readonly type: "final";
  /** Tasks handled. */
  readonly count: number;
  /** When the first one was handled, in epoch milliseconds (0 if none). */
  readonly first: number;
  /** When the last one was handled, in epoch milliseconds (0 if none). */
  readonly last: number;
  /** CPU time the process used from its first task until it stopped, in milliseconds. */
  readonly cpuMs: number;
  /** Sum of the handlers' results, as a decimal string. */
  readonly checksum: string;
  /** Handler start minus the task's `sentAt`, in milliseconds, one per task. */
  readonly latencies: readonly number[];
  /** When each task was handled, in epoch milliseconds, in order. */
  readonly handledAt: readonly number[];
}

/** Any line a consumer sends. */
export type ConsumerLine = ReadyLine | ProgressLine | FinalLine;

/** What a benchmark producer prints on stdout (one JSON object) when it is done. */
export interface ProducerReport {
  /** Tasks the broker confirmed. */
  readonly confirmed: number;
  /** Tasks not confirmed. */
  readonly failed: number;
  /** Just before the first publish, in epoch milliseconds. */
  readonly firstPublish: number;
  /** When the last confirm arrived, in epoch milliseconds. */
  readonly lastConfirm: number;
  /** CPU time the process used from the first publish to the last confirm, in milliseconds. */
  readonly cpuMs: number;
}

/** The line to write for `message`. */
export function formatLine(message: ConsumerLine): string {
  return LINE_PREFIX + JSON.stringify(message) + "\n";
}

/** The consumer line in `line`, or `undefined` for any other line. */
export function parseLine(line: string): ConsumerLine | undefined {
  if (!line.startsWith(LINE_PREFIX)) return undefined;
  const value: unknown = JSON.parse(line.slice(LINE_PREFIX.length));
  if (typeof value !== "object" || value === null || !("type" in value)) {
    throw new Error(`malformed consumer line: ${line.slice(0, 200)}`);
  }
  return value as ConsumerLine;
}

/** Parses a producer's report, checking its fields. */
export function parseProducerReport(text: string): ProducerReport {
  const value: unknown = JSON.parse(text);
  const fields = ["confirmed", "failed", "firstPublish", "lastConfirm", "cpuMs"] as const;
  if (typeof value !== "object" || value === null) {
    throw new Error(`producer report is not an object: ${text.slice(0, 200)}`);
  }
  const record = value as Record<string, unknown>;
  for (const field of fields) {
    if (typeof record[field] !== "number") {
      throw new Error(`producer report lacks '${field}': ${text.slice(0, 200)}`);
    }
  }
  return value as ProducerReport;
}
