/**
 * The producer CLI: reads tasks from flags, `--json` or `--file`, checks every one before
 * connecting, publishes them and exits once the broker confirmed each (0), or with 1 for broker
 * errors and 2 for bad input or usage.
 *
 * @module
 */
import type { AnyTask, Catalog } from "../catalog.ts";
import type { EncodedTask } from "../codec.ts";
import { PublishError, UnknownTaskError, ValidationError } from "../errors.ts";
import { createLogger } from "../logger.ts";
import { prepareTask, prepareWireTask } from "../prepare.ts";
import { Producer, type Receipt } from "../producer.ts";
import { integerFlag, type ParsedArgs, parseFlags, stringFlag } from "./args.ts";
import { BROKER_HELP, BROKER_STRING_FLAGS, brokerSettings } from "./broker_flags.ts";
import { EXIT_BROKER, EXIT_OK, fatal, UsageError } from "./exit.ts";
import { lineSource } from "./lines.ts";
import { givenFlagValues, payloadFromFlags, type TaskFlag, taskFlags } from "./task_flags.ts";

const PROGRAM = "producer.ts";
const MAX_REPORTED_LINES = 10;

function generalHelp(catalog: Catalog): string {
  const width = Math.max(...catalog.names.map((n) => n.length));
  const tasks = catalog.names.map((name) => {
    const flags = taskFlags(catalog.get(name)!).map((f) => `--${f.flag}`);
    return `  ${name.padEnd(width)}  ${flags.join(" ")}`;
  });
  return `Publishes tasks to a RabbitMQ work queue as persistent messages, and exits once the
broker has confirmed every one.

Usage:
  ${PROGRAM} <task> [--<field> VALUE ...] [--count N]
  ${PROGRAM} <task> --json '<payload object>'
  ${PROGRAM} --json '{"task": "<task>", ...payload}'
  ${PROGRAM} --file tasks.jsonl        (--file - reads standard input)

Tasks ('${PROGRAM} <task> --help' describes the fields):
${tasks.join("\n")}

Options:
  --count N           publish N copies of the task, each with its own id (default 1)
  --json OBJECT       the payload as JSON; without <task>, a whole task {"task": ...}
  --file PATH         one task per line, {"task":"sum","start":1,"end":10}; every line is
                      checked before anything is published
  --quiet             print no line per task, only errors and the summary
${BROKER_HELP}
  -h, --help          show this help

Output: one line per confirmed task on stdout ('enqueued <task> <id>'), a summary on stderr.
Exit status: 0 when every task was confirmed, 1 on broker errors, 2 on bad input or usage.`;
}

function taskHelp(task: AnyTask, flags: readonly TaskFlag[]): string {
  const width = Math.max(...flags.map((f) => f.flag.length + (f.kind === "boolean" ? 0 : 6)));
  const lines = flags.map((f) => {
    const name = f.kind === "boolean" ? `--${f.flag}` : `--${f.flag} VALUE`;
    return `  ${name.padEnd(width + 2)}  ${f.required ? "" : "optional: "}${f.help}`;
  });
  return `Publishes a '${task.name}' task.

Usage: ${PROGRAM} ${task.name} ${
    flags.filter((f) => f.required).map((f) => `--${f.flag} VALUE`).join(" ")
  } [options]

Fields:
${lines.join("\n")}

Options: --count, --json, --quiet, --url, --queue, --queue-type (see '${PROGRAM} --help').`;
}

/** Where the tasks come from: built and checked before any connection is made. */
interface TaskInput {
  /** How many tasks there are. */
  readonly total: number;
  /** The tasks, as a fresh iteration each time. */
  readonly messages: () => Iterable<EncodedTask> | AsyncIterable<EncodedTask>;
}

function fromPayload(
  catalog: Catalog,
  name: string,
  payload: Record<string, unknown>,
  count: number,
): TaskInput {
  prepareTask(catalog, name, payload); // throws on invalid input before anything is published
  return {
    total: count,
    messages: function* () {
      for (let i = 0; i < count; i++) yield prepareTask(catalog, name, payload);
    },
  };
}

function parseJsonObject(text: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`--json holds no valid JSON (${(err as Error).message}): give ${what}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new UsageError(`--json must be a JSON object: give ${what}`);
  }
  return value as Record<string, unknown>;
}

async function fromFile(catalog: Catalog, path: string): Promise<TaskInput> {
  const lines = await lineSource(path);
  const problems: string[] = [];
  let total = 0;
  let bad = 0;
  const where = path === "-" ? "stdin" : path;
  for await (const [number, line] of lines()) {
    if (line.trim() === "") continue;
    try {
      prepareWireTask(catalog, parseLine(line));
      total++;
    } catch (err) {
      if (!(err instanceof ValidationError || err instanceof UnknownTaskError)) throw err;
      if (++bad <= MAX_REPORTED_LINES) problems.push(`${where}:${number}: ${err.message}`);
    }
  }
  if (bad > 0) {
    const more = bad > MAX_REPORTED_LINES ? `\n… and ${bad - MAX_REPORTED_LINES} more` : "";
    throw new UsageError(
      `${bad} bad line(s) in ${where}; nothing was published:\n${problems.join("\n")}${more}`,
    );
  }
  return {
    total,
    messages: async function* () {
      for await (const [, line] of lines()) {
        if (line.trim() !== "") yield prepareWireTask(catalog, parseLine(line));
      }
    },
  };
}

function parseLine(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch (err) {
    throw new ValidationError(undefined, [{
      path: "",
      message: `not JSON (${(err as Error).message})`,
    }]);
  }
}

function readInput(
  catalog: Catalog,
  task: AnyTask | undefined,
  flags: readonly TaskFlag[],
  parsed: ParsedArgs,
  args: readonly string[],
): TaskInput | Promise<TaskInput> {
  const json = stringFlag(parsed.flags, "json");
  const file = stringFlag(parsed.flags, "file");
  const count = integerFlag(parsed.flags, "count", 1, 1);
  const given = givenFlagValues(flags, args, parsed.flags);
  const fieldsGiven = Object.keys(given).length > 0;
  if (file !== undefined) {
    if (task || json !== undefined || parsed.flags.count !== undefined) {
      throw new UsageError(
        "--file holds whole tasks: give it alone, without <task>, --json or --count",
      );
    }
    return fromFile(catalog, file);
  }
  if (task) {
    if (json !== undefined && fieldsGiven) {
      throw new UsageError(`give the payload of '${task.name}' as flags or as --json, not both`);
    }
    const payload = json !== undefined
      ? parseJsonObject(json, `the payload of '${task.name}' as a JSON object`)
      : payloadFromFlags(task, flags, given);
    return fromPayload(catalog, task.name, payload, count);
  }
  if (json !== undefined) {
    const body = parseJsonObject(json, `a task such as {"task": "${catalog.names[0]}", ...}`);
    const message = prepareWireTask(catalog, body);
    const { task: _name, ...payload } = body;
    return fromPayload(catalog, message.task, payload, count);
  }
  throw new UsageError("name a task, or give --json or --file");
}

async function run(catalog: Catalog, args: readonly string[]): Promise<number> {
  const first = args[0];
  const name = first !== undefined && !first.startsWith("-") ? first : undefined;
  const task = name === undefined ? undefined : catalog.get(name);
  if (name !== undefined && !task) throw new UnknownTaskError(name, catalog.names);
  const flags = task ? taskFlags(task) : [];
  const parsed = parseFlags(
    task ? args.slice(1) : args,
    {
      string: [
        ...BROKER_STRING_FLAGS,
        "count",
        "json",
        "file",
        ...flags.filter((f) => f.kind !== "boolean").map((f) => f.flag),
      ],
      boolean: ["help", "quiet", ...flags.filter((f) => f.kind === "boolean").map((f) => f.flag)],
      alias: { help: "h" },
    },
    task
      ? `for task '${task.name}' (its fields: ${flags.map((f) => `--${f.flag}`).join(", ")})`
      : "",
  );
  if (parsed.flags.help) {
    console.log(task ? taskHelp(task, flags) : generalHelp(catalog));
    return EXIT_OK;
  }
  if (parsed.positionals.length > 0) {
    throw new UsageError(`unexpected argument '${parsed.positionals[0]}'`);
  }
  const input = await readInput(catalog, task, flags, parsed, args);
  const settings = brokerSettings(parsed.flags);
  const quiet = parsed.flags.quiet === true;
  const log = createLogger({ write: (line) => console.error(line), level: "warn" });
  const started = performance.now();
  const producer = await Producer.connect(catalog, {
    url: settings.urls,
    queue: settings.queue,
    queueType: settings.queueType,
    logger: log,
  });
  let summary;
  try {
    summary = await producer.publishAll(input.messages(), (outcome: Receipt | PublishError) => {
      if (outcome instanceof PublishError) console.error(`error: ${outcome.message}`);
      else if (!quiet) console.log(`enqueued ${outcome.task} ${outcome.id}`);
    });
  } finally {
    await producer.close();
  }
  const seconds = ((performance.now() - started) / 1000).toFixed(2);
  const failed = summary.failed.length;
  console.error(
    `${summary.confirmed} of ${input.total} task(s) confirmed on queue '${producer.queue}' in ${seconds} s` +
      (failed ? `; ${failed} not confirmed` : ""),
  );
  return failed > 0 ? EXIT_BROKER : EXIT_OK;
}

/**
 * Runs the producer CLI with `args` against `catalog`; returns the exit code. Never throws:
 * errors are printed with their causes.
 */
export async function producerMain(catalog: Catalog, args: readonly string[]): Promise<number> {
  try {
    return await run(catalog, args);
  } catch (err) {
    return fatal(err, PROGRAM);
  }
}
