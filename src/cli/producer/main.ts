/**
 * The producer CLI: reads tasks from flags, `--json` or `--file`, checks every one before
 * connecting, publishes them and exits once the broker confirmed each (0), or with 1 for broker
 * errors and 2 for bad input or usage. With `--wait` it also waits for each task's outcome.
 *
 * @module
 */
import type { Catalog } from "../../task/catalog.ts";
import { PublishError } from "../../errors/publish_error.ts";
import { UnknownTaskError } from "../../errors/unknown_task_error.ts";
import { ValidationError } from "../../errors/validation_error.ts";
import type { TaskOutcome } from "../../wire/outcome_codec.ts";
import { createLogger } from "../../util/logger.ts";
import { Producer } from "../../producer/producer.ts";
import { DIRECT_REPLY_TO } from "../../producer/producer_channel.ts";
import type { Receipt } from "../../producer/publish_window.ts";
import { DEFAULT_MAX_BYTES } from "../../wire/task_codec.ts";
import { booleanFlag, choiceFlag, durationFlag, integerFlag, parseFlags } from "../shared/args.ts";
import { timingFlags } from "./timing.ts";
import { BROKER_STRING_FLAGS, brokerSettings } from "../shared/broker_flags.ts";
import { EXIT_BROKER, EXIT_OK, fatal, UsageError } from "../shared/exit.ts";
import { enqueuedLine, outcomeLine, OUTPUT_FORMATS, timeoutLine } from "./outcomes.ts";
import { producerHelp, PROGRAM, taskHelp } from "./help.ts";
import { readTaskInput } from "./input.ts";
import { createProgress } from "./progress.ts";
import { taskFlags } from "./task_flags.ts";
import {
  HISTORY_BOOLEAN_FLAGS,
  HISTORY_STRING_FLAGS,
  historyFlags,
} from "../shared/history_flags.ts";

/** Most tasks whose progress `--wait` shows on a terminal (each one reads the history). */
const PROGRESS_SHOWN_MAX = 10;

/** Counts for the summary line. */
interface Counts {
  confirmed: number;
  unconfirmed: number;
  done: number;
  failed: number;
  expired: number;
  timedOut: number;
}

async function run(catalog: Catalog, args: readonly string[]): Promise<number> {
  const first = args[0];
  const name = first !== undefined && !first.startsWith("-") ? first : undefined;
  const task = name === undefined ? undefined : catalog.get(name);
  if (name !== undefined && !task) throw new UnknownTaskError(name, catalog.names);
  const fields = task ? taskFlags(task) : [];
  const parsed = parseFlags(
    task ? args.slice(1) : args,
    {
      string: [
        ...BROKER_STRING_FLAGS,
        "count",
        "json",
        "file",
        "timeout",
        "output",
        "max-bytes",
        "delay",
        "at",
        "expires",
        "priority",
        "max-priority",
        ...HISTORY_STRING_FLAGS,
        ...fields.filter((f) => f.kind !== "boolean").map((f) => f.flag),
      ],
      boolean: [
        "help",
        "quiet",
        "wait",
        ...HISTORY_BOOLEAN_FLAGS,
        "history-payloads",
        ...fields.filter((f) => f.kind === "boolean").map((f) => f.flag),
      ],
      alias: { help: "h" },
    },
    task
      ? `for task '${task.name}' (its fields: ${fields.map((f) => `--${f.flag}`).join(", ")})`
      : "",
  );
  const { flags } = parsed;
  if (flags.help) {
    console.log(task ? taskHelp(task, fields) : producerHelp(catalog));
    return EXIT_OK;
  }
  if (parsed.positionals.length > 0) {
    throw new UsageError(`unexpected argument '${parsed.positionals[0]}'`);
  }
  const wait = flags.wait === true;
  if (!wait && flags.timeout !== undefined) throw new UsageError("--timeout goes with --wait");
  const timing = timingFlags(flags);
  // With --wait, a delayed task's outcome is awaited for 60 s after it may start.
  const waitFrom = timing.at?.getTime() ?? Date.now() + (timing.delay ?? 0);
  const timeoutMs = durationFlag(flags, "timeout", 60_000 + Math.max(0, waitFrom - Date.now()));
  const format = choiceFlag(flags, "output", OUTPUT_FORMATS, "text");
  const quiet = flags.quiet === true;
  const maxBytes = integerFlag(flags, "max-bytes", DEFAULT_MAX_BYTES, 1);
  const input = await readTaskInput(catalog, task, fields, parsed, args, { maxBytes, ...timing });
  const settings = brokerSettings(flags);
  const history = historyFlags(flags);
  if (flags["history-payloads"] === true && !history.history) {
    throw new UsageError("--history-payloads goes with the history: drop --no-history");
  }
  // On a terminal, the progress of a few awaited tasks is shown (it is read from the history).
  const showProgress = wait && history.history === true && Deno.stderr.isTerminal() &&
    input.total <= PROGRESS_SHOWN_MAX;

  const started = performance.now();
  const producer = await Producer.connect(catalog, {
    url: settings.urls,
    queue: settings.queue,
    queueType: settings.queueType,
    results: wait,
    maxMessageBytes: maxBytes,
    ...history,
    historyPayloads: booleanFlag(flags, "history-payloads"),
    ...(flags["max-priority"] === undefined
      ? {}
      : { maxPriority: integerFlag(flags, "max-priority", 1, 1, 255) }),
    logger: createLogger({ write: (line) => console.error(line), level: "warn" }),
  });
  const counts: Counts = {
    confirmed: 0,
    unconfirmed: 0,
    done: 0,
    failed: 0,
    expired: 0,
    timedOut: 0,
  };
  const progress = createProgress(wait ? "done" : "enqueued", input.total);
  const print = (line: string) => {
    if (!quiet && !progress.active) console.log(line);
  };
  const deadline = started + timeoutMs;
  const outcomes: Promise<void>[] = [];
  const report = (outcome: TaskOutcome) => {
    if (outcome.ok) counts.done++;
    else if (outcome.reason === "expired") counts.expired++;
    else counts.failed++;
    const line = outcomeLine(outcome, format);
    if (!outcome.ok && progress.active) progress.log(line);
    print(line);
  };
  const onProgress = (receipt: Receipt) => (p: { fraction: number; note?: string }) => {
    const line = `progress ${receipt.task} ${receipt.id} ${Math.round(p.fraction * 100)}%${
      p.note === undefined ? "" : ` ${p.note}`
    }`;
    if (progress.active) progress.log(line);
    else console.error(line);
  };
  const awaitOutcome = (receipt: Receipt) =>
    producer.result(receipt.id, {
      timeout: Math.max(0, deadline - performance.now()),
      ...(showProgress ? { onProgress: onProgress(receipt) } : {}),
    }).then(
      report,
      (err) => {
        if (err instanceof ValidationError) {
          // The worker's result does not decode with this producer's contract (another version).
          const { id, task } = receipt;
          report({ id, task, ok: false, reason: "invalid-result", error: err.message });
          return;
        }
        counts.timedOut++;
        print(timeoutLine(receipt.task, receipt.id, format));
      },
    ).finally(() =>
      progress.update(counts.done + counts.failed + counts.expired, counts.failed + counts.expired)
    );

  try {
    const messages = input.messages(wait ? { replyTo: DIRECT_REPLY_TO } : {});
    await producer.publishAll(messages, (outcome: Receipt | PublishError) => {
      if (outcome instanceof PublishError) {
        counts.unconfirmed++;
        console.error(`error: ${outcome.message}`);
        return;
      }
      counts.confirmed++;
      if (wait) {
        outcomes.push(awaitOutcome(outcome));
      } else {
        progress.update(counts.confirmed);
        print(enqueuedLine(outcome, format));
      }
    });
    await Promise.all(outcomes);
  } finally {
    progress.stop();
    await producer.close();
  }
  console.error(summaryLine(counts, input.total, producer.queue, started, wait));
  const failed = counts.unconfirmed +
    (wait ? counts.failed + counts.expired + counts.timedOut : 0);
  return failed > 0 ? EXIT_BROKER : EXIT_OK;
}

function summaryLine(
  counts: Counts,
  total: number,
  queue: string,
  started: number,
  wait: boolean,
): string {
  const seconds = ((performance.now() - started) / 1000).toFixed(2);
  const parts = [`${counts.confirmed} of ${total} task(s) confirmed on queue '${queue}'`];
  if (counts.unconfirmed) parts.push(`${counts.unconfirmed} not confirmed`);
  if (wait) {
    parts.push(`${counts.done} done, ${counts.failed} failed`);
    if (counts.expired) parts.push(`${counts.expired} expired before they started`);
    if (counts.timedOut) parts.push(`${counts.timedOut} without an outcome in time`);
  }
  return `${parts.join("; ")} in ${seconds} s`;
}

/**
 * Runs the producer CLI with `args` against `catalog`; returns the exit code. Never throws:
 * errors are printed with their causes.
 */
export async function producerMain(catalog: Catalog, args: readonly string[]): Promise<number> {
  try {
    return await run(catalog, args);
  } catch (err) {
    // Usage errors point to the help of the task named, if it is one.
    const first = args[0];
    const task = first !== undefined && catalog.get(first) ? ` ${first}` : "";
    return fatal(err, `${PROGRAM}${task}`);
  }
}
