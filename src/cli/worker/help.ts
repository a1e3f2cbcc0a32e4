/**
 * Help text of the worker CLI.
 *
 * @module
 */
import type { Catalog } from "../../task/catalog.ts";
import { LOG_LEVELS } from "../../util/logger.ts";
import { BROKER_HELP } from "../shared/broker_flags.ts";
import { HISTORY_HELP } from "../shared/history_flags.ts";

/** The worker CLI's name in messages. */
export const PROGRAM = "worker.ts";

function cpuTasks(catalog: Catalog): string {
  const names = catalog.names.filter((name) => catalog.get(name)?.cpu);
  return names.length > 0 ? names.join(", ") : "none in this catalog";
}

/** The worker's help, listing the catalog's tasks. */
export function workerHelp(catalog: Catalog): string {
  return `Runs tasks from a RabbitMQ work queue: takes one task at a time (prefetch 1), acknowledges
it only when its handler has finished, retries failures with backoff, and dead-letters what
cannot run to <queue>.dead. SIGINT or SIGTERM stops taking tasks and lets running ones finish
(a second signal exits at once; the broker requeues what was running; a SIGTERM within 0.5 s of
the first is its echo, as when both a supervisor and deno task pass one on).

Usage: ${PROGRAM} [options]

Tasks: ${catalog.names.join(", ")}

Options:
${BROKER_HELP}
  --prefetch N        tasks taken at a time, and run at once (default 1: fair dispatch;
                      with --threads, the number of threads)
  --threads N         run CPU-heavy tasks (${cpuTasks(catalog)}) in N threads, so one process
                      uses N cores; needs --allow-read for Warren's folder
  --log-format F      text or json (one JSON object per line) (default text)
  --log-level L       ${LOG_LEVELS.join(", ")}; warn prints only failures (default info)
  --grace DURATION    time running tasks get to finish on shutdown (default 30s)
  --retries N         retries after a failed attempt, for every task (default: each task's)
  --backoff-base DURATION, --backoff-max DURATION
                      delay before the first retry (doubling with each further one) and
                      the largest delay (default: each task's). Either one overrides both
                      for every task; the one not given is then 1s or 60s
  --max-bytes N       largest message body accepted, in bytes (default 4194304)
  --max-redeliveries N  redeliveries after a worker died before a task is dead-lettered
                      (default 5)
  --consumer-timeout DURATION
                      the broker's consumer_timeout; task time limits must stay below it
                      (default 30m, RabbitMQ's default). On a quorum queue of RabbitMQ 4.3
                      it is the timeout of the worker's consumer (x-consumer-timeout)
  --schedules FILE    also run the schedules of FILE (see scheduler.ts --help), as one
                      replica of the scheduler; needs --allow-read=FILE
  --max-priority N    declare the classic work queue with x-max-priority N, as the producers
                      do (priorities 0 to N)
  --on-version-mismatch warn|dead
                      what to do with a task enqueued with another version of its
                      contract (a producer built from another catalog): warn runs it and
                      logs task.version_mismatch once per task and version; dead
                      dead-letters it with reason version-mismatch (default warn)
${HISTORY_HELP}
  --cancel-window DURATION
                      how far back a starting worker reads the cancels of Q.control: the
                      longest a task may wait and still be cancelled (default: the
                      history's max age, 7d)
  --no-cancels        do not follow Q.control (on a second connection): this worker
                      ignores cancels
  --id ID             worker id in the logs and on retried and dead-lettered tasks (default
                      <hostname>-<pid> with --allow-sys=hostname, else worker-<pid>)
  --metrics-port P    serve Prometheus metrics at http://HOST:P/metrics and a health check at
                      /healthz (200 while consuming, else 503); needs --allow-net=HOST:P
  --metrics-host HOST address for --metrics-port (default 127.0.0.1; compose.yaml gives
                      0.0.0.0)
  -h, --help          show this help

Durations: 30s, 500ms, 2m, 1h, 3d, or a plain number of seconds.
Exit status: 0 after a clean shutdown, 1 on broker errors, 2 on bad usage.`;
}
