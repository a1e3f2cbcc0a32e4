/**
 * The history's figures (`deno task bench --history`): its cost on throughput (the matrix with
 * Warren's history off and on, side by side), a lookup of one id among 1,000,000 events, and
 * the latency of cancels of running tasks, from the request to the handler's abort.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import amqp from "amqplib";
import { z } from "zod";
import { Admin } from "../src/admin/admin.ts";
import { streamOptions } from "../src/broker/topology.ts";
import { DEFAULT_HISTORY_MAX_AGE_MS } from "../src/history/options.ts";
import { EventTally, TALLY_TASKS_MAX } from "../src/history/tally.ts";
import { defineCatalog } from "../src/task/catalog.ts";
import { defineTask } from "../src/task/contract.ts";
import { defineHandlers } from "../src/task/handlers.ts";
import { Producer } from "../src/producer/producer.ts";
import { Worker } from "../src/worker/worker.ts";
import { encodeEvent, type NewHistoryEvent } from "../src/wire/events.ts";
import { taskIdAt } from "../src/wire/task_id.ts";
import { delay } from "../tasks/handlers/sleep.ts";
import { BENCH_URL, type BrokerAdmin, uniqueQueue } from "./broker.ts";
import { METRICS, type RowSummary } from "./matrix.ts";
import type { Variant } from "./run.ts";
import { LABELS, ratio, value } from "./report.ts";
import { median, quantile } from "./stats.ts";

/** Events in the stream of the lookup bench. */
export const LOOKUP_EVENTS = 1_000_000;

/** Cancels timed by the cancel bench. */
export const CANCELS = 50;

/** The figures of a lookup among {@linkcode LOOKUP_EVENTS} events. */
export interface LookupResult {
  /** Events in the stream. */
  readonly events: number;
  /** Milliseconds to write them (confirmed). */
  readonly writeMs: number;
  /** Lookups of an id whose events span the whole stream, from the id's time, in ms. */
  readonly wholeMs: readonly number[];
  /** Lookups of an id of the last 10,000 events, given `since` their time, in ms. */
  readonly recentMs: readonly number[];
  /** Opening the dashboard's feed on them (reading the last hour, all of them), in ms. */
  readonly feedOpenMs: number;
  /** The Tasks page's counts from the open feed (the hour's tally and the states), in ms. */
  readonly countsMs: readonly number[];
  /** The hour's tally of a hostile stream (every minute full of names), in ms a summary. */
  readonly crowdedTallyMs: readonly number[];
}

/** Times the summary of a tally whose every minute of the hour holds the most names. */
export function timeCrowdedTally(): number[] {
  const now = Date.now();
  const tally = new EventTally({ began: new Date(0) });
  for (let minute = 60; minute >= 0; minute--) {
    const at = new Date(now - minute * 60_000).toISOString();
    for (let i = 0; i < TALLY_TASKS_MAX; i++) {
      const task = `m${minute}t${i}`;
      tally.add(
        { v: 1, event: "succeeded", id: "t", task, at, worker: "w", attempt: 1, ms: i },
        now,
      );
    }
  }
  const times: number[] = [];
  for (let i = 0; i < 20; i++) {
    const t = performance.now();
    tally.summary(now);
    times.push(performance.now() - t);
  }
  return times;
}

/** The figures of the cancel bench. */
export interface CancelResult {
  /** Cancels timed. */
  readonly cancels: number;
  /** Median milliseconds from `Producer.cancel()` to the handler's abort. */
  readonly p50: number;
  /** 99th percentile of the same. */
  readonly p99: number;
  /** The longest. */
  readonly max: number;
}

/** Pairs of variants without and with the history, and what the table calls them. */
const HISTORY_PAIRS: readonly (readonly [Variant, Variant, string])[] = [
  ["warren", "warren-history", "Warren"],
  ["plain", "plain-history", "plain"],
  ["plain", "plain-history-early", "plain, early ack"],
];

/**
 * The history's cost per row: for each pair of {@linkcode HISTORY_PAIRS} that `variants` has,
 * the medians without and with the history, and their ratio. Plain amqplib's pairs give the
 * cost of the history's protocol alone: a confirmed event before each ack, or (early ack) the
 * same event with the ack sent at once.
 */
export function historyTable(
  summaries: readonly RowSummary[],
  variants: readonly Variant[],
): string {
  const pairs = HISTORY_PAIRS.filter(([off, on]) =>
    variants.includes(off) && variants.includes(on)
  );
  const header = [
    "row",
    "metric",
    ...pairs.flatMap(([, , who]) => [`${who}, off`, `${who}, on`, `${who} on / off`]),
  ];
  const rows: string[][] = [header];
  for (const summary of summaries) {
    METRICS.forEach((metric, i) => {
      rows.push([
        i === 0 ? `${summary.type}:${summary.prefetch}` : "",
        LABELS[metric],
        ...pairs.flatMap(([off, on]) => {
          const r = ratio(summary, metric, on, off);
          return [
            value(metric, summary.medians[metric][off]),
            value(metric, summary.medians[metric][on]),
            Number.isNaN(r) ? "-" : `${r.toFixed(2)}x`,
          ];
        }),
      ]);
    });
  }
  const widths = header.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows
    .map((r) => r.map((cell, c) => c < 2 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!)))
    .map((cells) => cells.join("  ").trimEnd())
    .join("\n");
}

/** The lookup and cancel figures as lines. */
export function lookupCancelTable(lookup: LookupResult, cancel: CancelResult): string {
  const ms = (values: readonly number[]) => values.map((v) => v.toFixed(0)).join(", ");
  return [
    `${lookup.events} events written in ${(lookup.writeMs / 1000).toFixed(1)} s`,
    `lookup of an id whose events span them all (from the id's time): ${
      ms(lookup.wholeMs)
    } ms (median ${median(lookup.wholeMs).toFixed(0)})`,
    `lookup of an id among the last 10,000 (--since their time): ${
      ms(lookup.recentMs)
    } ms (median ${median(lookup.recentMs).toFixed(0)})`,
    `the dashboard's feed opened on them (an hour read, every event tallied): ${
      lookup.feedOpenMs.toFixed(0)
    } ms; the Tasks page's counts from it: median ${median(lookup.countsMs).toFixed(2)} ms, max ${
      Math.max(...lookup.countsMs).toFixed(2)
    } ms (${lookup.countsMs.length} refreshes); of a hostile hour (${TALLY_TASKS_MAX} new names every minute): median ${
      median(lookup.crowdedTallyMs).toFixed(2)
    } ms`,
    `cancel of a running task, request to abort, ${cancel.cancels} cancels: p50 ${
      cancel.p50.toFixed(1)
    } ms, p99 ${cancel.p99.toFixed(1)} ms, max ${cancel.max.toFixed(1)} ms`,
  ].join("\n");
}

/** Writes `LOOKUP_EVENTS` events and times lookups in them; deletes the stream. */
export async function runLookup(
  admin: BrokerAdmin,
  log: (line: string) => void,
): Promise<LookupResult> {
  const queue = uniqueQueue("lookup");
  const stream = `${queue}.events`;
  const connection = await amqp.connect(BENCH_URL);
  try {
    const channel = await connection.createConfirmChannel();
    await channel.assertQueue(
      stream,
      streamOptions({ maxAgeMs: DEFAULT_HISTORY_MAX_AGE_MS, maxBytes: 2_000_000_000 }),
    );
    const whole = taskIdAt(Date.now());
    let recent = "";
    let recentSince = new Date();
    const worker = "bench-worker";
    const eventsOf = (id: string): NewHistoryEvent[] => [
      { event: "enqueued", id, task: "sum" },
      { event: "started", id, task: "sum", worker, attempt: 1 },
      { event: "succeeded", id, task: "sum", worker, attempt: 1, ms: 1, result: 1 },
    ];
    const spots = new Map<number, NewHistoryEvent>();
    eventsOf(whole).forEach((event, i) => spots.set(i * (LOOKUP_EVENTS / 2 - 1), event));
    const started = performance.now();
    for (let i = 0; i < LOOKUP_EVENTS; i++) {
      if (i === LOOKUP_EVENTS - 10_000) {
        // The broker's clock stamps a chunk when it writes it: once the events before are
        // written, the time marks where the last 10,000 begin (not where a backlog ends).
        await channel.waitForConfirms();
        recentSince = new Date();
        recent = taskIdAt(Date.now());
        eventsOf(recent).forEach((event, k) => spots.set(i + 1 + k * 3_000, event));
      }
      const event = spots.get(i) ??
        { event: "started", id: taskIdAt(Date.now()), task: "sum", worker, attempt: 1 };
      const { body, properties } = encodeEvent(event);
      if (!channel.sendToQueue(stream, Buffer.from(body), properties)) {
        await new Promise((resolve) => channel.once("drain", resolve));
      }
      if (i % 100_000 === 0) await channel.waitForConfirms();
    }
    await channel.waitForConfirms();
    const writeMs = performance.now() - started;
    log(`lookup: ${LOOKUP_EVENTS} events written in ${(writeMs / 1000).toFixed(1)} s`);
    const lookups = await Admin.connect({ url: BENCH_URL, queue });
    const wholeMs: number[] = [];
    const recentMs: number[] = [];
    const countsMs: number[] = [];
    let feedOpenMs = 0;
    try {
      for (let round = 0; round < 3; round++) {
        let t = performance.now();
        const found = await lookups.task(whole);
        wholeMs.push(performance.now() - t);
        if (found?.state !== "succeeded") throw new Error(`lookup of ${whole} found ${found}`);
        t = performance.now();
        const last = await lookups.task(recent, { since: recentSince });
        recentMs.push(performance.now() - t);
        if (last?.state !== "succeeded") throw new Error(`lookup of ${recent} found ${last}`);
        log(
          `lookup: whole ${wholeMs.at(-1)!.toFixed(0)} ms, recent ${
            recentMs.at(-1)!.toFixed(0)
          } ms`,
        );
      }
      const t = performance.now();
      const feed = await lookups.feed();
      feedOpenMs = performance.now() - t;
      try {
        for (let refresh = 0; refresh < 20; refresh++) {
          const t = performance.now();
          const hour = feed.tally();
          feed.counts(3_600_000);
          countsMs.push(performance.now() - t);
          const started = hour.total.events.started ?? 0;
          if (started < LOOKUP_EVENTS - 10) throw new Error(`the tally counted ${started} starts`);
        }
      } finally {
        await feed.close();
      }
      log(
        `feed: opened in ${feedOpenMs.toFixed(0)} ms, counts in ${median(countsMs).toFixed(2)} ms`,
      );
    } finally {
      await lookups.close();
    }
    const crowdedTallyMs = timeCrowdedTally();
    return {
      events: LOOKUP_EVENTS,
      writeMs,
      wholeMs,
      recentMs,
      feedOpenMs,
      countsMs,
      crowdedTallyMs,
    };
  } finally {
    await connection.close();
    await admin.deleteQueues([stream]);
  }
}

const hold = defineTask({
  name: "hold",
  schema: z.object({ ms: z.int() }),
  timeout: 120_000,
  retries: 0,
});
const holdCatalog = defineCatalog(hold);

/** Times {@linkcode CANCELS} cancels of running tasks; deletes its queues. */
export async function runCancels(
  admin: BrokerAdmin,
  log: (line: string) => void,
): Promise<CancelResult> {
  const queue = uniqueQueue("cancel");
  const started = new Map<string, PromiseWithResolvers<void>>();
  const aborted = new Map<string, PromiseWithResolvers<number>>();
  const waiter = <T>(map: Map<string, PromiseWithResolvers<T>>, id: string) => {
    let entry = map.get(id);
    if (!entry) map.set(id, entry = Promise.withResolvers<T>());
    return entry;
  };
  const handlers = defineHandlers(holdCatalog, {
    hold: async ({ ms }, { signal, id }) => {
      signal.addEventListener("abort", () => waiter(aborted, id).resolve(performance.now()));
      waiter(started, id).resolve();
      await delay(ms, signal);
    },
  });
  const worker = await Worker.start(handlers, { url: BENCH_URL, queue });
  const producer = await Producer.connect(holdCatalog, { url: BENCH_URL, queue });
  const latencies: number[] = [];
  try {
    for (let i = 0; i < CANCELS; i++) {
      const { id } = await producer.enqueue("hold", { ms: 60_000 });
      await waiter(started, id).promise;
      const asked = performance.now();
      await producer.cancel(id);
      latencies.push(await waiter(aborted, id).promise - asked);
    }
  } finally {
    await producer.close();
    await worker.close();
    await admin.deleteWorkQueue(queue);
  }
  const result = {
    cancels: CANCELS,
    p50: quantile(latencies, 0.5),
    p99: quantile(latencies, 0.99),
    max: Math.max(...latencies),
  };
  log(`cancels: p50 ${result.p50.toFixed(1)} ms, p99 ${result.p99.toFixed(1)} ms`);
  return result;
}
