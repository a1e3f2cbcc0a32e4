/**
 * Running the producer CLI (`producer.ts`) once, with the demo's tasks on its standard input.
 *
 * @module
 */
import { DemoError } from "./errors.ts";
import { lines } from "./lines.ts";
import { QUEUE, ROOT } from "./settings.ts";
import type { DemoTask } from "./tasks.ts";

/** How to run the producer. */
export interface ProducerOptions {
  /** The permission flags to run it with. */
  readonly flags: readonly string[];
  /** Its environment variables. */
  readonly env: Record<string, string>;
  /** The tasks to enqueue, one JSON line each. */
  readonly tasks: readonly DemoTask[];
  /** Hears each task the broker confirmed: its name and message id. */
  readonly onEnqueued: (task: string, id: string) => void;
  /** The demo's interrupt signal: when it fires, the producer gets SIGTERM. */
  readonly signal: AbortSignal;
}

/**
 * Runs the producer with the tasks on standard input; resolves with its summary (what it printed
 * on stderr) when it exits 0, and rejects with a {@linkcode DemoError} when it fails.
 */
export async function runProducer(options: ProducerOptions): Promise<string> {
  const { flags, env, tasks, onEnqueued, signal } = options;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", ...flags, "producer.ts", "--file", "-", "--queue", QUEUE],
    cwd: ROOT,
    env,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    detached: true,
  }).spawn();
  const stop = () => {
    try {
      child.kill("SIGTERM");
    } catch {
      // already gone
    }
  };
  if (signal.aborted) stop();
  else signal.addEventListener("abort", stop, { once: true });
  try {
    const stderr = new Response(child.stderr).text();
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(tasks.map((t) => JSON.stringify(t)).join("\n")));
    await writer.close();
    for await (const line of lines(child.stdout)) {
      const match = /^enqueued (\S+) (\S+)$/.exec(line);
      if (match) onEnqueued(match[1]!, match[2]!);
    }
    const status = await child.status;
    const summary = (await stderr).trim();
    if (!status.success) {
      throw new DemoError(`the producer failed (exit code ${status.code}):\n${summary}`);
    }
    return summary;
  } finally {
    signal.removeEventListener("abort", stop);
  }
}
