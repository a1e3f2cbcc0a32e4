/**
 * Running Warren's CLIs as subprocesses, with exactly the permission flags the README gives.
 *
 * @module
 */

/** Permission flags of the producer CLI, as the README gives them. */
export const PRODUCER_FLAGS = [
  "--allow-net=localhost:5672",
  "--allow-env=AMQP_URL,WARREN_QUEUE",
] as const;

/** Permission flags of the worker CLI, as the README gives them. */
export const WORKER_FLAGS = [
  "--allow-net=localhost:5672",
  "--allow-env=AMQP_URL,WARREN_QUEUE",
] as const;

/** Permission flags of the scheduler CLI, as the README gives them (its file: schedules.json). */
export const SCHEDULER_FLAGS = [
  "--allow-net=localhost:5672",
  "--allow-env=AMQP_URL,WARREN_QUEUE",
  "--allow-read=schedules.json",
] as const;

/** Permission flags of the admin CLI, as the README gives them (without the management API). */
export const ADMIN_FLAGS = [
  "--allow-net=localhost:5672",
  "--allow-env=AMQP_URL,WARREN_QUEUE",
] as const;

const root = new URL("../../", import.meta.url);

/** Path of a file at the root of the repository. */
export function rootPath(file: string): string {
  return new URL(file, root).pathname;
}

/** What a finished command printed and how it exited. */
export interface RunResult {
  /** Exit code. */
  readonly code: number;
  /** Standard output. */
  readonly stdout: string;
  /** Standard error. */
  readonly stderr: string;
}

/** The ids of the tasks a producer CLI confirmed: its `enqueued <task> <id>` lines on stdout. */
export function enqueuedIds(stdout: string): string[] {
  const ids: string[] = [];
  for (const line of stdout.split("\n")) {
    const match = /^enqueued (\S+) (\S+)$/.exec(line.trim());
    if (match?.[2] !== undefined) ids.push(match[2]);
  }
  return ids;
}

/** Options of {@linkcode runCli}. */
export interface RunOptions {
  /** Permission flags (default: the CLI's README flags). */
  readonly flags?: readonly string[];
  /** Extra environment variables. */
  readonly env?: Record<string, string>;
  /** Text written to standard input. */
  readonly stdin?: string;
}

const DEFAULT_FLAGS = {
  "producer.ts": PRODUCER_FLAGS,
  "worker.ts": WORKER_FLAGS,
  "admin.ts": ADMIN_FLAGS,
} as const;

/** Runs `producer.ts`, `worker.ts` or `admin.ts` with `args` until it exits. */
export async function runCli(
  script: "producer.ts" | "worker.ts" | "admin.ts",
  args: readonly string[],
  options: RunOptions = {},
): Promise<RunResult> {
  const flags = options.flags ?? DEFAULT_FLAGS[script];
  const command = new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", ...flags, rootPath(script), ...args],
    cwd: rootPath(""),
    env: { NO_COLOR: "1", ...options.env },
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  });
  const child = command.spawn();
  if (options.stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(options.stdin));
    await writer.close();
  }
  const { code, stdout, stderr } = await child.output();
  const decoder = new TextDecoder();
  return { code, stdout: decoder.decode(stdout), stderr: decoder.decode(stderr) };
}

/** Options of {@linkcode WorkerProcess}. */
export interface WorkerProcessOptions {
  /** Extra environment variables. */
  readonly env?: Record<string, string>;
  /** The worker entrypoint (default: worker.ts). */
  readonly script?: string;
  /** Permission flags (default: the README's). */
  readonly flags?: readonly string[];
}

/** A JSON log line of a worker. */
export type LogLine = Record<string, unknown> & { event: string };

/** A worker CLI running as a subprocess, whose JSON log lines can be awaited. */
export class WorkerProcess implements AsyncDisposable {
  readonly #child: Deno.ChildProcess;
  readonly #lines: LogLine[] = [];
  readonly #waiters = new Set<() => void>();
  readonly #stderr: Promise<string>;
  readonly #pump: Promise<void>;
  #exited = false;

  /**
   * Starts `worker.ts --log-format json` with `args`; `options.script` runs another worker
   * entrypoint (a fixture), `options.flags` replaces the README's permission flags.
   */
  constructor(args: readonly string[], options: WorkerProcessOptions = {}) {
    const command = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--quiet",
        ...(options.flags ?? WORKER_FLAGS),
        options.script ?? rootPath("worker.ts"),
        "--log-format",
        "json",
        ...args,
      ],
      cwd: rootPath(""),
      env: { NO_COLOR: "1", ...options.env },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    });
    this.#child = command.spawn();
    this.#stderr = new Response(this.#child.stderr).text();
    this.#pump = this.#read();
  }

  async #read(): Promise<void> {
    let rest = "";
    for await (const chunk of this.#child.stdout.pipeThrough(new TextDecoderStream())) {
      rest += chunk;
      let end: number;
      while ((end = rest.indexOf("\n")) >= 0) {
        const line = rest.slice(0, end);
        rest = rest.slice(end + 1);
        if (line.trim() === "") continue;
        this.#lines.push(JSON.parse(line) as LogLine);
      }
      for (const wake of this.#waiters) wake();
    }
    this.#exited = true;
    for (const wake of this.#waiters) wake();
  }

  /** The OS process id. */
  get pid(): number {
    return this.#child.pid;
  }

  /** Every log line so far. */
  get lines(): readonly LogLine[] {
    return this.#lines;
  }

  /** The log lines of one event so far. */
  events(event: string): LogLine[] {
    return this.#lines.filter((line) => line.event === event);
  }

  /**
   * Resolves once `predicate` holds for the lines so far; rejects after `timeoutMs`, or when the
   * worker's output ends first, with the lines and stderr in the message.
   */
  async waitFor(
    predicate: (lines: readonly LogLine[]) => boolean,
    what: string,
    timeoutMs = 30_000,
  ): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this.#lines)) {
      if (this.#exited || Date.now() > deadline) {
        const tail = this.#lines.slice(-5).map((l) => JSON.stringify(l)).join("\n");
        const why = this.#exited ? "the worker's output ended" : `${timeoutMs} ms passed`;
        throw new Error(`Waiting for ${what}: ${why}. Last lines:\n${tail}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(wake, Math.max(0, deadline - Date.now()) + 1);
        const waiters = this.#waiters;
        waiters.add(wake);
        function wake() {
          clearTimeout(timer);
          waiters.delete(wake);
          resolve();
        }
      });
    }
  }

  /** Resolves once `count` lines of `event` were logged. */
  waitForEvents(event: string, count: number, timeoutMs?: number): Promise<void> {
    return this.waitFor(
      (lines) => lines.filter((l) => l.event === event).length >= count,
      `${count} '${event}' line(s)`,
      timeoutMs,
    );
  }

  /** Resolves once the worker consumes (its `worker.started` line). */
  started(timeoutMs?: number): Promise<void> {
    return this.waitForEvents("worker.started", 1, timeoutMs);
  }

  /** Sends a signal. */
  kill(signal: Deno.Signal = "SIGTERM"): void {
    if (!this.#exited) {
      try {
        this.#child.kill(signal);
      } catch {
        // already gone
      }
    }
  }

  /** Waits for the process to exit; returns its code and what it printed on stderr. */
  async exit(): Promise<{ code: number; signal: Deno.Signal | null; stderr: string }> {
    const status = await this.#child.status;
    await this.#pump;
    return { code: status.code, signal: status.signal, stderr: await this.#stderr };
  }

  /** Kills the worker if it still runs and waits for it. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.kill("SIGKILL");
    await this.exit();
  }
}
