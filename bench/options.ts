/**
 * The benchmark's command line.
 *
 * @module
 */
import { parseArgs } from "@std/cli/parse-args";
import { parseQueueType } from "../src/broker/topology.ts";
import type { Row, Variant } from "./run.ts";
import { MATRIX_VARIANTS, VARIANTS } from "./run.ts";

/** Everything the benchmark is asked to do. */
export interface BenchOptions {
  /** Tasks per run. */
  readonly n: number;
  /** Runs of each variant in each row. */
  readonly rounds: number;
  /** Rows of the matrix. */
  readonly rows: readonly Row[];
  /** Variants run in each row. */
  readonly variants: readonly Variant[];
  /** The producers' window of unconfirmed publishes. */
  readonly window: number;
  /** Consumer processes per run. */
  readonly consumers: number;
  /** A run fails when no task is handled for this long, in milliseconds. */
  readonly stallMs: number;
  /** How long each run waits for a quiet machine (under 15% CPU busy), in milliseconds. */
  readonly quietMs: number;
  /** Where the JSON results go. */
  readonly jsonOut: string;
  /** Whether the throughput matrix runs. */
  readonly matrix: boolean;
  /** Whether the property costs are measured. */
  readonly properties: boolean;
  /** Whether the dashboard load test runs. */
  readonly dashboard: boolean;
  /** Measure the history's cost, a lookup and cancel latency. */
  readonly history: boolean;
  /** Whether the delayed-task measurements run. */
  readonly delayed: boolean;
  /** Whether the memory measurements run. */
  readonly memory: boolean;
  /** Whether the CPU scaling measurements run. */
  readonly cpu: boolean;
  /** Directory for CPU profiles of the consumers and producers, when asked for. */
  readonly cpuProfDir?: string;
  /** Another checkout, whose Warren scripts the baseline variants run. */
  readonly baselineDir?: string;
  /** Fill each run's queue before its consumers start: enqueue and drain measured apart. */
  readonly prefill: boolean;
  /** Whether help was asked for. */
  readonly help: boolean;
}

/** The help text. */
export const HELP = `Benchmarks Warren against plain amqplib on the broker at AMQP_URL
(default amqp://localhost:5672): the same tasks, the same two consumer processes, side by side.

Usage: deno task bench [options]

Options:
  --n N             tasks per run (default 50000)
  --rounds N        runs of each variant per row, alternated (default 3)
  --rows LIST       queue type:prefetch pairs (default classic:1,classic:100,quorum:1,quorum:100)
  --variants LIST   any of ${
  VARIANTS.join(",")
} (default all but the history and baseline ones); plain-props is
                    plain amqplib publishing the messages Warren publishes (its properties,
                    mandatory); plain-history is the plain consumer publishing a confirmed
                    event to <queue>.events before each ack (the history's protocol alone),
                    plain-history-early the same event with the ack sent at once
  --window N        unconfirmed publishes allowed per producer (default 1000)
  --consumers N     consumer processes per run (default 2)
  --stall SECONDS   fail a run when no task is handled for this long (default 60)
  --quiet-wait SECONDS
                    before each run, wait up to this long for the machine to be quiet
                    (under 15% CPU busy over a second), then run anyway (default 60; 0: no wait)
  --json-out PATH   where the JSON results go (default bench/results/latest.json)
  --prefill         fill each run's queue before its consumers start, so that enqueue and
                    drain are each measured alone (drain: while every consumer works);
                    by default the consumers drain while the producer publishes (with
                    --baseline, a checkout that has --prefill too)
  --quick           smoke check: --n 5000 --rounds 1
  --memory          measure producer and worker memory (instead of the matrix)
  --cpu             measure CPU-bound scaling over worker processes (instead of the matrix)
  --properties      measure what each message property costs plain amqplib (instead of the
                    matrix; rows default to classic:1,classic:100)
  --delayed         measure the enqueue rate of delayed tasks against immediate ones (--n
                    tasks, --rounds rounds), and an idle worker's memory while 100,000 delayed
                    tasks wait (instead of the matrix)
  --dashboard       the dashboard under load: 5,000 tasks/s through a queue for 30 s while a
                    headless Chromium keeps the dashboard open; its CPU, memory and page latency
                    (needs /usr/bin/chromium; instead of the matrix)
  --history         the history's cost: Warren with history off and on, side by side over
                    --rows (default classic:1,classic:100,quorum:1,quorum:100); then a lookup
                    of one id among 1,000,000 events, and the latency of 50 cancels of
                    running tasks, request to abort (instead of the matrix)
  --matrix          run the matrix too, with --memory, --cpu, --properties, --delayed or
                    --dashboard
  --cpu-prof DIR    write CPU profiles of the consumers and producers to DIR/<variant>-…
  --baseline DIR    another checkout of Warren (e.g. 'git archive' of an older commit made
                    since the history is on by default), run by the variants baseline and
                    baseline-history (history off and on there): a before/after side by side
                    in one run
  -h, --help        show this help`;

function integer(value: unknown, name: string, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!Number.isInteger(number) || number < min) {
    throw new Error(`--${name} must be an integer >= ${min}: current value is ${String(value)}`);
  }
  return number;
}

function parseRows(text: string): Row[] {
  return text.split(",").map((item) => {
    const [type = "", prefetch = ""] = item.trim().split(":");
    return {
      type: parseQueueType(type, "--rows"),
      prefetch: integer(prefetch, "rows (prefetch)", 1),
    };
  });
}

function parseVariants(text: string): Variant[] {
  return text.split(",").map((item) => {
    const variant = VARIANTS.find((v) => v === item.trim());
    if (!variant) throw new Error(`--variants: '${item}' is not one of ${VARIANTS.join(", ")}`);
    return variant;
  });
}

/** Parses the command line. */
export function parseBenchArgs(args: readonly string[]): BenchOptions {
  const flags = parseArgs([...args], {
    string: [
      "n",
      "rounds",
      "rows",
      "variants",
      "window",
      "consumers",
      "stall",
      "quiet-wait",
      "json-out",
      "cpu-prof",
      "baseline",
    ],
    boolean: [
      "quick",
      "memory",
      "cpu",
      "properties",
      "delayed",
      "dashboard",
      "history",
      "matrix",
      "prefill",
      "help",
    ],
    alias: { help: "h" },
    unknown: (arg: string, key?: string) => {
      throw new Error(key === undefined ? `unexpected argument '${arg}'` : `unknown option ${arg}`);
    },
  });
  const quick = flags.quick === true;
  const memory = flags.memory === true;
  const cpu = flags.cpu === true;
  const properties = flags.properties === true;
  const delayed = flags.delayed === true;
  const dashboard = flags.dashboard === true;
  const history = flags.history === true;
  const cpuProf = typeof flags["cpu-prof"] === "string" ? flags["cpu-prof"] : undefined;
  return {
    n: integer(flags.n, "n", quick ? 5_000 : 50_000),
    rounds: integer(flags.rounds, "rounds", quick ? 1 : 3),
    rows: parseRows(
      typeof flags.rows === "string"
        ? flags.rows
        : properties
        ? "classic:1,classic:100"
        : "classic:1,classic:100,quorum:1,quorum:100",
    ),
    variants: typeof flags.variants === "string"
      ? parseVariants(flags.variants)
      : history
      ? ["warren", "warren-history"]
      : MATRIX_VARIANTS,
    window: integer(flags.window, "window", 1000),
    consumers: integer(flags.consumers, "consumers", 2),
    stallMs: integer(flags.stall, "stall", 60) * 1000,
    quietMs: integer(flags["quiet-wait"], "quiet-wait", 60, 0) * 1000,
    jsonOut: typeof flags["json-out"] === "string"
      ? flags["json-out"]
      : new URL("./results/latest.json", import.meta.url).pathname,
    matrix: flags.matrix === true ||
      (!memory && !cpu && !properties && !delayed && !dashboard && !history),
    memory,
    cpu,
    properties,
    delayed,
    dashboard,
    history,
    ...(cpuProf === undefined ? {} : { cpuProfDir: cpuProf }),
    ...(typeof flags.baseline === "string" ? { baselineDir: flags.baseline } : {}),
    prefill: flags.prefill === true,
    help: flags.help === true,
  };
}
