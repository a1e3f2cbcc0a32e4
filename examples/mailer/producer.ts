/**
 * Signs a user up, as a web application would after its signup form: enqueues the user's
 * welcome mail and a digest of the latest articles, then waits for the outcome of both and
 * prints each as a JSON line. Exits 0 when both were sent, 1 when one was not (or the broker
 * failed), 2 on bad input, in which case nothing is enqueued.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { DEFAULT_QUEUE, DEFAULT_URL, Producer, ValidationError } from "warren";
import { catalog, type Locale, LOCALES } from "./tasks.ts";

/** The articles of this week's digest (a real service would read them from its database). */
export const LATEST_ARTICLES = [
  { title: "Queues that survive a broker restart", url: "https://acme.example/blog/durable" },
  { title: "Retries without losing a mail", url: "https://acme.example/blog/retries" },
];

const USAGE =
  "usage: producer.ts --to ADDRESS --name NAME [--locale en|fr] [--url AMQP_URL] [--queue NAME]";

const HELP = `Signs a user up: enqueues their welcome mail and a digest, waits for both outcomes and
prints each as a JSON line.

${USAGE}

Options:
  --to ADDRESS     the user's mail address
  --name NAME      the user's name, as the welcome mail greets them
  --locale en|fr   the welcome mail's language (default en)
  --url AMQP_URL   the broker (default $AMQP_URL, else ${DEFAULT_URL})
  --queue NAME     the work queue (default $WARREN_QUEUE, else ${DEFAULT_QUEUE})
  -h, --help       show this help

Exit status: 0 when both mails were sent, 1 when one was not (or the broker failed), 2 on bad
input, in which case nothing is enqueued.`;

class UsageError extends Error {}

function isLocale(value: string): value is Locale {
  return (LOCALES as readonly string[]).includes(value);
}

async function main(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      to: { type: "string" },
      name: { type: "string" },
      locale: { type: "string", default: "en" },
      url: { type: "string" },
      queue: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const { to, name, locale } = values;
  if (to === undefined || name === undefined) throw new UsageError("give --to and --name");
  if (!isLocale(locale)) throw new UsageError(`--locale must be one of ${LOCALES.join(", ")}`);

  const producer = await Producer.connect(catalog, {
    url: values.url ?? Deno.env.get("AMQP_URL") ?? DEFAULT_URL,
    queue: values.queue ?? Deno.env.get("WARREN_QUEUE") ?? DEFAULT_QUEUE,
    results: true,
  });
  try {
    // Payloads are checked against the tasks' schemas here, before anything is published, and
    // their types come from the same schemas: a misspelt field does not compile.
    const receipts = [
      await producer.enqueue("welcome", { to, name, locale }, { result: true }),
      await producer.enqueue("digest", { to, articles: LATEST_ARTICLES }, { result: true }),
    ];
    let failed = 0;
    for (const receipt of receipts) {
      // Typed by the contracts' result schema: outcome.result.messageId is a string.
      const outcome = await producer.result(receipt, { timeout: 60_000 });
      console.log(JSON.stringify(outcome));
      if (!outcome.ok) failed++;
    }
    return failed === 0 ? 0 : 1;
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
    if (usage) console.error(`${USAGE}\nRun 'producer.ts --help' for more.`);
    Deno.exit(usage || err instanceof ValidationError ? 2 : 1);
  }
}
