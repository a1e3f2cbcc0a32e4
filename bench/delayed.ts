/**
 * Delayed tasks: the enqueue rate of delayed tasks against immediate ones, alternated in one
 * run; and an idle worker's memory while 100,000 delayed tasks wait for it, which must not grow,
 * since they wait in the broker's delay levels and not in the worker.
 *
 * @module
 */
import { WorkerProcess } from "../tests/_helpers/cli.ts";
import { queueNames } from "../src/broker/topology.ts";
import { DELAY_LEVELS } from "../src/wire/delays.ts";
import type { BrokerAdmin } from "./broker.ts";
import { uniqueQueue } from "./broker.ts";
import { type GeneratorRun, rssParts, runGeneratorProducer, sampleMax } from "./memory.ts";
import { median } from "./stats.ts";

/** Delayed tasks waiting while the worker's memory is sampled. */
export const WAITING_TASKS = 100_000;

/** The delay of the delayed tasks: an hour, so none comes due during the bench. */
const DELAY_MS = 3_600_000;

/** How long the worker is sampled before and after the tasks were enqueued. */
const SAMPLE_MS = 3_000;

/** The figures of the delayed-task bench. */
export interface DelayedResult {
  /** Tasks per enqueue run. */
  readonly n: number;
  /** Enqueue rates of immediate tasks, tasks/s, one per round. */
  readonly immediate: readonly number[];
  /** Enqueue rates of tasks delayed by an hour, tasks/s, one per round. */
  readonly delayed: readonly number[];
  /** Median delayed rate over median immediate rate. */
  readonly ratio: number;
  /** The idle worker's RSS before the waiting tasks, in bytes (max over the sample). */
  readonly workerBefore: number;
  /** Its RSS while they were enqueued and after, in bytes (max). */
  readonly workerAfter: number;
  /** Tasks that waited in the delay levels meanwhile. */
  readonly waiting: number;
  /** The worker's memory at the end, in parts. */
  readonly detail: string;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The queues of `queue`'s delay levels: the first levels' have their exchange's name. */
function levelQueues(queue: string): string[] {
  const names = queueNames(queue);
  const levels = Array.from({ length: DELAY_LEVELS }, (_, k) => [names.delay(k), names.wait(k)]);
  return [...new Set(levels.flat())];
}

/** The queue `queue` and all Warren derives from it. */
async function cleanUp(admin: BrokerAdmin, queue: string): Promise<void> {
  const names = queueNames(queue);
  await admin.deleteWorkQueue(queue, levelQueues(queue));
  await admin.deleteExchanges(Array.from({ length: DELAY_LEVELS }, (_, k) => names.delay(k)));
}

async function enqueueRate(admin: BrokerAdmin, n: number, delayMs: number): Promise<number> {
  const queue = uniqueQueue(delayMs > 0 ? "delayed" : "immediate");
  try {
    const run: GeneratorRun = await runGeneratorProducer(queue, n, delayMs);
    return n / run.seconds;
  } finally {
    await cleanUp(admin, queue);
  }
}

/** Runs the delayed-task bench; deletes its queues and exchanges. */
export async function runDelayed(
  admin: BrokerAdmin,
  n: number,
  rounds: number,
  log: (line: string) => void,
): Promise<DelayedResult> {
  const immediate: number[] = [];
  const delayed: number[] = [];
  for (let round = 1; round <= rounds; round++) {
    immediate.push(await enqueueRate(admin, n, 0));
    delayed.push(await enqueueRate(admin, n, DELAY_MS));
    log(
      `delayed: round ${round}: immediate ${immediate.at(-1)!.toFixed(0)}/s, delayed ${
        delayed.at(-1)!.toFixed(0)
      }/s`,
    );
  }
  const queue = uniqueQueue("delayed_worker");
  try {
    await using worker = new WorkerProcess(["--queue", queue]);
    await worker.started(60_000);
    const workerBefore = await sampleMax(worker.pid, "VmRSS", pause(SAMPLE_MS), 20);
    const enqueued = runGeneratorProducer(queue, WAITING_TASKS, DELAY_MS);
    const during = sampleMax(worker.pid, "VmRSS", enqueued, 20);
    await enqueued;
    const workerAfter = Math.max(
      await during,
      await sampleMax(worker.pid, "VmRSS", pause(SAMPLE_MS), 20),
    );
    const detail = rssParts(worker.pid);
    const waiting = await admin.messagesIn(levelQueues(queue));
    worker.kill("SIGTERM");
    const { code } = await worker.exit();
    if (code !== 0) throw new Error(`the worker exited with ${code}`);
    log(
      `delayed: worker RSS ${(workerBefore / 1e6).toFixed(1)} MB before, ${
        (workerAfter / 1e6).toFixed(1)
      } MB with ${waiting} waiting`,
    );
    return {
      n,
      immediate,
      delayed,
      ratio: median(delayed) / median(immediate),
      workerBefore,
      workerAfter,
      waiting,
      detail,
    };
  } finally {
    await cleanUp(admin, queue);
  }
}

/** The figures as lines. */
export function delayedTable(result: DelayedResult): string {
  const rates = (values: readonly number[]) => values.map((v) => v.toFixed(0)).join(", ");
  const mb = (bytes: number) => (bytes / 1e6).toFixed(1);
  return [
    `enqueue ${result.n} tasks (Producer.publishAll from a generator), tasks/s per round:`,
    `  immediate:      ${rates(result.immediate)} (median ${median(result.immediate).toFixed(0)})`,
    `  delayed by 1 h: ${rates(result.delayed)} (median ${median(result.delayed).toFixed(0)})`,
    `  delayed / immediate: ${result.ratio.toFixed(2)}`,
    `idle worker: max RSS ${mb(result.workerBefore)} MB before, ${
      mb(result.workerAfter)
    } MB while and after ${result.waiting} delayed tasks were enqueued (growth ${
      mb(result.workerAfter - result.workerBefore)
    } MB)`,
    `  at the end: ${result.detail}`,
  ].join("\n");
}
