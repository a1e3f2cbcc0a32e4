/**
 * Runs the pipeline once: `split` into N ranges, `sum` of each, `total` of the sums; waits for
 * its end and prints one JSON line, `{"workflow", "state": "succeeded", "result"}` (exit 0), or
 * `{"workflow", "state": "failed", "reason", "error"}` naming the failed step (exit 1). Exit 2
 * on bad input, in which case nothing is started.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { DEFAULT_QUEUE, DEFAULT_URL, Producer, ValidationError } from "warren";
import { catalog, MAX_MEMBERS, pipeline } from "./tasks.ts";

const USAGE =
  "usage: run.ts --members N [--fail-member K] [--timeout SECONDS] [--url AMQP_URL] [--queue NAME]";

const HELP = `Runs the pipeline once (split, then sum of each range, then total) and prints its end
as one JSON line.

${USAGE}

Options:
  --members N        how many ranges of 1,000 integers (1 to ${MAX_MEMBERS}): sums 1..N*1000
  --fail-member K    make range K's sum (0-based) fail without retries
  --timeout SECONDS  how long to wait for the end (default 600)
  --url AMQP_URL     the broker (default $AMQP_URL, else ${DEFAULT_URL})
  --queue NAME       the work queue (default $WARREN_QUEUE, else ${DEFAULT_QUEUE})
  -h, --help         show this help

Exit status: 0 when the workflow succeeded, 1 when it failed (or the broker did), 2 on bad
input, in which case nothing is started.`;

class UsageError extends Error {}

function integer(value: string | undefined, flag: string, min: number, max: number): number {
  const n = Number(value);
  if (
    value === undefined || !/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < min || n > max
  ) {
    throw new UsageError(`${flag} must be an integer from ${min} to ${max}`);
  }
  return n;
}

async function main(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      members: { type: "string" },
      "fail-member": { type: "string" },
      timeout: { type: "string", default: "600" },
      url: { type: "string" },
      queue: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (values.members === undefined) throw new UsageError("give --members");
  const n = integer(values.members, "--members", 1, MAX_MEMBERS);
  const fail = values["fail-member"] === undefined
    ? undefined
    : integer(values["fail-member"], "--fail-member", 0, n - 1);
  const timeout = integer(values.timeout, "--timeout", 1, 86_400) * 1000;

  const producer = await Producer.connect(catalog, {
    url: values.url ?? Deno.env.get("AMQP_URL") ?? DEFAULT_URL,
    queue: values.queue ?? Deno.env.get("WARREN_QUEUE") ?? DEFAULT_QUEUE,
  });
  try {
    const run = await producer.start(pipeline, {
      n,
      ...(fail === undefined ? {} : { failMember: fail }),
    });
    const outcome = await producer.result(run, { timeout });
    if (outcome.ok) {
      console.log(JSON.stringify({ workflow: run.id, state: "succeeded", result: outcome.result }));
      return 0;
    }
    console.log(JSON.stringify({
      workflow: run.id,
      state: "failed",
      reason: outcome.reason,
      error: outcome.error,
    }));
    return 1;
  } finally {
    await producer.close();
  }
}

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args));
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    const usage = err instanceof UsageError ||
      (typeof code === "string" && code.startsWith("ERR_PARSE_ARGS")); // node:util's parseArgs
    console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
    if (usage) console.error(`${USAGE}\nRun 'run.ts --help' for more.`);
    Deno.exit(usage || err instanceof ValidationError ? 2 : 1);
  }
}
