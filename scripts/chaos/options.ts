/**
 * The options of `deno task chaos`: its help text and the parse of its flags into the options
 * of a chaos run (tests/_helpers/chaos/run.ts).
 *
 * @module
 */
import {
  booleanFlag,
  choiceFlag,
  durationFlag,
  integerFlag,
  parseFlags,
  stringFlag,
} from "../../src/cli/shared/args.ts";
import { UsageError } from "../../src/cli/shared/exit.ts";
import type { ChaosOptions, QueueType, RestartKind } from "../../tests/_helpers/chaos/run.ts";

/** The script's name in messages. */
export const PROGRAM = "deno task chaos";

/** The defaults of the long run. */
export const DEFAULTS = {
  count: 20_000,
  queueType: "both",
  restarts: "kill,stop,kill,stop",
  workers: 3,
  prefetch: 10,
  kills: 10,
  rate: 150,
  maxDelayMs: 20_000,
  downMs: 1_000,
  stuckAfterMs: 30_000,
  lingerMs: 240_000,
  delayedShare: 0.3,
  flakyShare: 0.1,
} as const;

/** The help text. */
export const HELP =
  `Runs Warren's chaos suite at length on a private RabbitMQ node of its own (never the
broker on 5672), and prints its ledger: per work queue, tasks enqueued, confirmed, succeeded,
dead by reason, lost, stuck, early and duplicated, and how late delayed tasks and retries
started (p50/p99/max).

The run mixes plain tasks, delayed tasks (0.2 s to --max-delay), tasks that fail once or twice
before they succeed, and one poison message of each kind (a 70,000-character task name, a handler
error over 64 KB, a cancel with a 200,000-character 'by', a result nested 3,000 deep, a body that
is not JSON, an unknown task); SIGKILLs worker CLIs and restarts the broker (kill -9 or graceful)
while it goes. It fails (exit 1) on a lost, stuck (not settled --stuck-after past its due time or
past the broker's return), early or unexplained duplicated task, a poison message that does not
end in Q.dead with its reason, or a worker that dies on its own.

Usage: ${PROGRAM} [options]

Options:
  --count N           normal tasks per work queue (default ${DEFAULTS.count})
  --queue-type T      classic, quorum, or both (one work queue of each, in the same run)
                      (default ${DEFAULTS.queueType})
  --restarts LIST     broker restarts, in order, comma-separated: kill (kill -9) or stop
                      (graceful); 'none' for none (default ${DEFAULTS.restarts})
  --workers N         worker processes per work queue (default ${DEFAULTS.workers})
  --prefetch N        each worker's prefetch (default ${DEFAULTS.prefetch})
  --kills N           worker SIGKILLs per work queue (default ${DEFAULTS.kills})
  --rate N            tasks published per second to each work queue (default ${DEFAULTS.rate})
  --max-delay DURATION  longest delay of a delayed task (default 20s)
  --down DURATION     how long the broker stays down at each restart (default 1s)
  --stuck-after DURATION  how long past its due time, or past the broker's return, a task may
                      take to settle (default 30s)
  --linger DURATION   how long to go on waiting for tasks past their bound, to tell a task
                      held for minutes (stuck) from a lost one (default 4m, longer than a
                      quorum queue's dead-letter resend timeout)
  --no-poison         publish no poison message (to look at delays and restarts alone)
  --no-history        run without the history (Q.events); it is on by default, and the ledger
                      is checked against it
  --broker-defaults   run the node on RabbitMQ's defaults, not with the settings Warren
                      recommends (compose/advanced.config: a quorum queue's dead-letter
                      confirm timeout of 10 s instead of 3 minutes)
  --seed N            seed of the plan and of the kills (default: random, printed)
  -h, --help          show this help

Durations: 30s, 500ms, 2m, or a plain number of seconds.
Exit status: 0 when the run passed, 1 when it found a failure, 2 on bad usage.
Needs rabbitmq-server installed (private nodes run as the rabbitmq user when run as root).`;

/** What the flags ask for. */
export type ParsedOptions =
  | { readonly help: true }
  | {
    readonly help: false;
    readonly options: Omit<ChaosOptions, "onProgress" | "onNote">;
    /** Run the node on RabbitMQ's defaults rather than the settings Warren recommends. */
    readonly brokerDefaults: boolean;
  };

/** Parses the script's flags; throws a `UsageError` on a bad one. */
export function parseOptions(args: readonly string[]): ParsedOptions {
  const { flags, positionals } = parseFlags(args, {
    string: [
      "count",
      "queue-type",
      "restarts",
      "workers",
      "prefetch",
      "kills",
      "rate",
      "max-delay",
      "down",
      "stuck-after",
      "linger",
      "seed",
    ],
    boolean: ["help", "no-poison", "no-history", "broker-defaults"],
    alias: { help: "h" },
  }, `(see ${PROGRAM} --help)`);
  if (booleanFlag(flags, "help")) return { help: true };
  if (positionals.length > 0) {
    throw new UsageError(`unexpected argument '${positionals[0]}' (see ${PROGRAM} --help)`);
  }
  const type = choiceFlag(flags, "queue-type", ["classic", "quorum", "both"], DEFAULTS.queueType);
  const queueTypes: QueueType[] = type === "both" ? ["classic", "quorum"] : [type];
  return {
    help: false,
    brokerDefaults: booleanFlag(flags, "broker-defaults"),
    options: {
      queueTypes,
      tasks: integerFlag(flags, "count", DEFAULTS.count, 1, 1_000_000),
      delayedShare: DEFAULTS.delayedShare,
      flakyShare: DEFAULTS.flakyShare,
      maxDelayMs: durationFlag(flags, "max-delay", DEFAULTS.maxDelayMs),
      rate: integerFlag(flags, "rate", DEFAULTS.rate, 1, 10_000),
      workers: integerFlag(flags, "workers", DEFAULTS.workers, 1, 32),
      prefetch: integerFlag(flags, "prefetch", DEFAULTS.prefetch, 1, 1_000),
      workerKills: integerFlag(flags, "kills", DEFAULTS.kills, 0, 1_000),
      restarts: parseRestarts(stringFlag(flags, "restarts") ?? DEFAULTS.restarts),
      downMs: durationFlag(flags, "down", DEFAULTS.downMs),
      poison: !booleanFlag(flags, "no-poison"),
      history: !booleanFlag(flags, "no-history"),
      stuckAfterMs: durationFlag(flags, "stuck-after", DEFAULTS.stuckAfterMs),
      lingerMs: durationFlag(flags, "linger", DEFAULTS.lingerMs),
      // A long run on a busy machine can fall behind: its backlog is waited for, not failed.
      backlogMs: 600_000,
      seed: integerFlag(flags, "seed", Math.floor(Math.random() * 1_000_000), 0, 2 ** 31),
    },
  };
}

/** `kill,stop` as restart kinds; `none` as none. */
export function parseRestarts(text: string): RestartKind[] {
  if (text.trim() === "none") return [];
  const kinds = text.split(",").map((word) => word.trim());
  const wrong = kinds.filter((kind) => kind !== "kill" && kind !== "stop");
  if (wrong.length > 0 || kinds.length > 100) {
    throw new UsageError(
      `--restarts must be a comma-separated list of kill and stop (at most 100), or none: got '${text}'`,
    );
  }
  return kinds as RestartKind[];
}
