/**
 * The demo's fixed settings: its queue, how many workers it starts, and how long it waits.
 *
 * @module
 */

/** The queue the demo's workers consume from. */
export const QUEUE = "warren_demo";

/**
 * The queues the demo declares on every run: its queue, that queue's dead-letter queue, and the
 * streams of its history and its cancels (the history is on by default).
 */
export const DEMO_QUEUES: readonly string[] = [
  QUEUE,
  `${QUEUE}.dead`,
  `${QUEUE}.events`,
  `${QUEUE}.control`,
];

/** How many worker processes the demo starts. */
export const WORKER_COUNT = 3;

/** How long the workers may take to start consuming, in milliseconds. */
export const WORKER_START_MS = 60_000;

/** How long the producer, and then the results, may each take, in milliseconds. */
export const RESULTS_MS = 120_000;

/** How long a broker the demo started may take to answer, in milliseconds. */
export const BROKER_START_MS = 60_000;

/** How long a worker may take to exit after SIGTERM before it is killed, in milliseconds. */
export const WORKER_EXIT_MS = 40_000;

/** The repository's folder, where the worker, the producer and `compose.yaml` are. */
export const ROOT: URL = new URL("../../", import.meta.url);
