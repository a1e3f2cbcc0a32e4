/**
 * The demo's steps, from finding the broker to the summary; stopping the workers and deleting
 * the queues is left to the caller, which does it however the run ends.
 *
 * @module
 */
import { type Broker, ensureBroker, permissionFlags } from "./broker.ts";
import { within } from "./interrupt.ts";
import { runProducer } from "./producer_process.ts";
import { deleteQueues } from "./queues.ts";
import { checkResults, formatOutcome, printSummary, tableHeader } from "./report.ts";
import { DEMO_QUEUES, QUEUE, RESULTS_MS } from "./settings.ts";
import type { DemoTask } from "./tasks.ts";
import type { Tracker } from "./tracker.ts";
import type { DemoWorker } from "./worker_process.ts";
import { startWorkers, waitUntilStarted } from "./workers.ts";

/** What a run of the demo works with. */
export interface DemoRun {
  /** Where the broker is. */
  readonly broker: Broker;
  /** The tasks to send. */
  readonly tasks: readonly DemoTask[];
  /** Filled with the workers as they start, so the caller can stop them however the run ends. */
  readonly workers: DemoWorker[];
  /** Follows the results of `tasks`. */
  readonly tracker: Tracker;
  /** The demo's interrupt signal: every wait ends with its reason when it fires. */
  readonly signal: AbortSignal;
}

/**
 * Makes sure the broker answers, starts the workers, runs the producer, prints each result as it
 * comes and then the summary; true when every task is ok.
 */
export async function runDemo(run: DemoRun): Promise<boolean> {
  const { broker, tasks, workers, tracker, signal } = run;
  await ensureBroker(broker, signal);
  const env = { AMQP_URL: broker.url, NO_COLOR: "1" };
  await deleteQueues(broker, DEMO_QUEUES); // leftovers of an interrupted run
  workers.push(...startWorkers(broker, env));
  for (const worker of workers) worker.onLine = (w, line) => tracker.logged(w.label, line);
  await waitUntilStarted(workers, signal);

  const flags = permissionFlags(broker);
  console.log(
    `\nEnqueueing ${tasks.length} tasks: deno run ${flags.join(" ")} producer.ts --file - ` +
      `--queue ${QUEUE}`,
  );
  console.log(`\n${tableHeader()}`);
  tracker.onOutcome = (outcome) => console.log(formatOutcome(outcome));
  const started = performance.now();
  const exits = workers.map((worker) => worker.unexpectedExit());
  for (const exit of exits) exit.catch(() => {});
  const onEnqueued = (name: string, id: string) => tracker.enqueued(name, id);
  const summary = await within(
    runProducer({ flags, env, tasks, onEnqueued, signal }),
    { ms: RESULTS_MS, what: "waiting for the producer", signal },
  );
  await within(
    Promise.race([tracker.finished, ...exits]),
    { ms: RESULTS_MS, what: `waiting for ${tasks.length} results`, signal },
  );
  const wallMs = performance.now() - started;
  console.log(`\n  producer: ${summary}`);
  const problems = [...await checkResults(tracker.outcomes), ...tracker.duplicates];
  const labels = workers.map((worker) => worker.label);
  printSummary({ workers: labels, outcomes: tracker.outcomes, wallMs, problems });
  return problems.length === 0;
}
