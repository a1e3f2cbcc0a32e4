/**
 * Prometheus metrics of a worker, fed by its task events, in the text exposition format.
 *
 * @module
 */
import type { TaskEvent } from "../worker/events.ts";
import type { LimitReading } from "../flow/refiller.ts";

/** What the metrics read from the worker besides its events. */
export interface WorkerGauges {
  /** Deliveries being worked on. */
  readonly inFlight: number;
  /** Whether it is connected and consuming. */
  readonly consuming: boolean;
  /** Reconnections so far. */
  readonly reconnects: number;
  /** The rate limits it refills, with what it last read of them. */
  readonly limits?: readonly LimitReading[];
}

/** Upper bounds of the duration histogram's buckets, in seconds. */
export const DURATION_BUCKETS: readonly number[] = [
  0.001,
  0.005,
  0.01,
  0.05,
  0.1,
  0.5,
  1,
  5,
  10,
  30,
  60,
  300,
  1800,
];

interface Histogram {
  readonly counts: number[];
  sum: number;
  count: number;
}

const FAILED_REASONS = new Set(["failed", "non-retryable"]);

function escape(value: string): string {
  return value.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("\n", "\\n");
}

function labels(pairs: Record<string, string>): string {
  const text = Object.entries(pairs).map(([k, v]) => `${k}="${escape(v)}"`).join(",");
  return text ? `{${text}}` : "";
}

/**
 * Counts a worker's task events: started, succeeded, failed (attempts), retried and
 * dead-lettered tasks by task, and handler durations.
 *
 * @example
 * ```ts
 * import { assertStringIncludes } from "@std/assert";
 * import { WorkerMetrics } from "./worker_metrics.ts";
 *
 * const metrics = new WorkerMetrics();
 * metrics.record({ event: "task.done", task: "sum", id: "1", attempt: 1, ms: 3, result: 6 });
 * const text = metrics.render({ inFlight: 0, consuming: true, reconnects: 0 });
 * assertStringIncludes(text, 'warren_tasks_succeeded_total{task="sum"} 1');
 * ```
 */
export class WorkerMetrics {
  readonly #counters = new Map<string, Map<string, number>>();
  readonly #durations = new Map<string, Histogram>();
  readonly #taskLabels = new Map<string, string>();

  /** Counts one task event. */
  record(event: TaskEvent): void {
    const task = event.task ?? "unknown";
    switch (event.event) {
      case "task.started":
        return this.#count("warren_tasks_started_total", { task });
      case "task.done":
        this.#observe(task, event.ms);
        return this.#count("warren_tasks_succeeded_total", { task });
      case "task.failed":
        this.#observe(task, event.ms);
        this.#count("warren_tasks_failed_total", { task });
        return this.#count("warren_tasks_retried_total", { task });
      case "task.dead":
        if (FAILED_REASONS.has(event.reason)) {
          this.#observe(task, event.ms);
          this.#count("warren_tasks_failed_total", { task });
        }
        if (event.reason === "expired") this.#count("warren_tasks_expired_total", { task });
        return this.#count("warren_tasks_dead_lettered_total", { task, reason: event.reason });
      case "task.returned":
        return this.#count("warren_tasks_returned_total", { task });
    }
  }

  /** Counts one fire of the schedule `schedule` (a worker that also runs a scheduler). */
  recordFire(schedule: string): void {
    const series = this.#counters.get("warren_schedule_fires_total") ?? new Map<string, number>();
    this.#counters.set("warren_schedule_fires_total", series);
    const key = labels({ schedule });
    series.set(key, (series.get(key) ?? 0) + 1);
  }

  /** The metrics in Prometheus' text format. */
  render(gauges: WorkerGauges): string {
    const out: string[] = [];
    const help: Record<string, string> = {
      warren_tasks_started_total: "Attempts started, by task.",
      warren_tasks_succeeded_total: "Tasks whose handler finished, by task.",
      warren_tasks_failed_total: "Attempts that failed (threw or timed out), by task.",
      warren_tasks_retried_total: "Failed attempts sent to a delay queue for a retry, by task.",
      warren_tasks_dead_lettered_total: "Tasks sent to the dead-letter queue, by task and reason.",
      warren_tasks_returned_total: "Tasks given back to the queue unfinished, by task.",
      warren_schedule_fires_total: "Fires of the schedules this process ran as active scheduler.",
      warren_tasks_expired_total:
        "Tasks that expired before they started (dead-lettered), by task.",
    };
    for (const [name, text] of Object.entries(help)) {
      out.push(`# HELP ${name} ${text}`, `# TYPE ${name} counter`);
      for (const [key, value] of this.#counters.get(name) ?? []) out.push(`${name}${key} ${value}`);
    }
    out.push(
      "# HELP warren_task_duration_seconds Time from delivery to the end of finished and failed attempts.",
      "# TYPE warren_task_duration_seconds histogram",
    );
    for (const [task, histogram] of this.#durations) {
      DURATION_BUCKETS.forEach((bound, i) => {
        const key = labels({ task, le: String(bound) });
        out.push(`warren_task_duration_seconds_bucket${key} ${histogram.counts[i]}`);
      });
      out.push(
        `warren_task_duration_seconds_bucket${labels({ task, le: "+Inf" })} ${histogram.count}`,
        `warren_task_duration_seconds_sum${labels({ task })} ${histogram.sum}`,
        `warren_task_duration_seconds_count${labels({ task })} ${histogram.count}`,
      );
    }
    out.push(
      "# HELP warren_tasks_in_flight Deliveries being worked on.",
      "# TYPE warren_tasks_in_flight gauge",
      `warren_tasks_in_flight ${gauges.inFlight}`,
      "# HELP warren_consuming 1 while connected and consuming, else 0.",
      "# TYPE warren_consuming gauge",
      `warren_consuming ${gauges.consuming ? 1 : 0}`,
      "# HELP warren_reconnects_total Connections made again after a loss.",
      "# TYPE warren_reconnects_total counter",
      `warren_reconnects_total ${gauges.reconnects}`,
      "# HELP warren_ratelimit_waiting Tasks waiting for a token of a rate limit, by task; only the worker that refills the limit reports it.",
      "# TYPE warren_ratelimit_waiting gauge",
      ...(gauges.limits ?? []).map((l) =>
        `warren_ratelimit_waiting${labels({ task: l.task })} ${l.waiting}`
      ),
      "# HELP warren_ratelimit_tokens Tokens in a rate limit's bucket, by task; only the worker that refills the limit reports it.",
      "# TYPE warren_ratelimit_tokens gauge",
      ...(gauges.limits ?? []).map((l) =>
        `warren_ratelimit_tokens${labels({ task: l.task })} ${l.tokens}`
      ),
    );
    return out.join("\n") + "\n";
  }

  #count(name: string, pairs: Record<string, string>): void {
    let series = this.#counters.get(name);
    if (!series) this.#counters.set(name, series = new Map<string, number>());
    const key = pairs.reason === undefined ? this.#labelsOf(pairs.task ?? "") : labels(pairs);
    series.set(key, (series.get(key) ?? 0) + 1);
  }

  /** The label set `{task="…"}`, built once per task. */
  #labelsOf(task: string): string {
    let key = this.#taskLabels.get(task);
    if (key === undefined) this.#taskLabels.set(task, key = labels({ task }));
    return key;
  }

  #observe(task: string, ms: number): void {
    const seconds = ms / 1000;
    let histogram = this.#durations.get(task);
    if (!histogram) {
      histogram = { counts: DURATION_BUCKETS.map(() => 0), sum: 0, count: 0 };
      this.#durations.set(task, histogram);
    }
    DURATION_BUCKETS.forEach((bound, i) => {
      if (seconds <= bound) histogram.counts[i]!++;
    });
    histogram.sum += seconds;
    histogram.count++;
  }
}
