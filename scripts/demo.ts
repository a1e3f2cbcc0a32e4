/**
 * The README's quick start, in one command: `deno task demo`.
 *
 * 1. Finds a RabbitMQ broker at `AMQP_URL` (default `amqp://localhost:5672`); when none answers
 *    at the default address, starts one with Docker (`docker compose up -d --wait rabbitmq`) or
 *    with a local `rabbitmq-server -detached`, or says what to install.
 * 2. Starts 3 worker processes on the queue `warren_demo`, exactly as the README runs them.
 * 3. Runs the producer once, with 30 tasks of all four kinds, and prints each result as it
 *    arrives: which worker, which task, its arguments, the result and the time it took.
 * 4. Prints a summary (tasks per worker, wall time, results checked against a local computation),
 *    stops the workers with SIGTERM and deletes the demo's queues, so a second run starts clean.
 *
 * Ctrl-C stops the workers and cleans up too. The parts are in `scripts/demo/`.
 *
 * @module
 */
import { onStopSignals } from "../src/cli/shared/signals.ts";
import { type Broker, brokerFromEnv } from "./demo/broker.ts";
import { DemoError, messageOf } from "./demo/errors.ts";
import { Interrupted } from "./demo/interrupt.ts";
import { deleteQueues } from "./demo/queues.ts";
import { runDemo } from "./demo/run.ts";
import { DEMO_QUEUES, QUEUE, WORKER_COUNT } from "./demo/settings.ts";
import { demoTasks } from "./demo/tasks.ts";
import { Tracker } from "./demo/tracker.ts";
import type { DemoWorker } from "./demo/worker_process.ts";
import { stopWorkers } from "./demo/workers.ts";

/** Runs the demo and cleans up however it ends; resolves with the exit code. */
async function main(): Promise<number> {
  const interrupt = new AbortController();
  const removeSignalListeners = onStopSignals(() => interrupt.abort(new Interrupted()));
  const tasks = demoTasks();
  const tracker = new Tracker(tasks);
  const workers: DemoWorker[] = [];
  let broker: Broker | undefined;
  let code: number;
  try {
    broker = brokerFromEnv();
    console.log(
      `Warren demo: ${WORKER_COUNT} workers share ${tasks.length} tasks on queue '${QUEUE}'.`,
    );
    const ok = await runDemo({ broker, tasks, workers, tracker, signal: interrupt.signal });
    code = ok ? 0 : 1;
  } catch (err) {
    if (err instanceof Interrupted) {
      console.log(`\nInterrupted: stopping the workers and cleaning up.`);
      code = 130;
    } else {
      console.error(`\ndemo failed: ${messageOf(err)}`);
      if (!(err instanceof DemoError) && err instanceof Error && err.stack) {
        console.error(err.stack);
      }
      code = 1;
    }
  } finally {
    removeSignalListeners();
  }
  if (!await stopWorkers(workers) && code === 0) code = 1;
  if (broker && workers.length > 0) code = await cleanUp(broker, tracker, code);
  return code;
}

/** Deletes the demo's queues; a failure to do so turns exit code 0 into 1. */
async function cleanUp(broker: Broker, tracker: Tracker, code: number): Promise<number> {
  try {
    const deleted = await deleteQueues(broker, [...DEMO_QUEUES, ...tracker.retryQueues]);
    console.log(`Deleted the demo's queues: ${deleted.join(", ")}`);
    return code;
  } catch (err) {
    console.error(`could not delete the demo's queues: ${messageOf(err)}`);
    return code === 0 ? 1 : code;
  }
}

if (import.meta.main) Deno.exit(await main());
