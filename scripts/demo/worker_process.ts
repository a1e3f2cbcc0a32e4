/**
 * One worker CLI (`worker.ts`) running as a subprocess, its JSON log lines parsed as they come.
 *
 * @module
 */
import { DemoError } from "./errors.ts";
import { lines } from "./lines.ts";
import { ROOT } from "./settings.ts";

/** A JSON log line of a worker. */
export type LogLine = { readonly event: string } & Readonly<Record<string, unknown>>;

/** How to start a {@linkcode DemoWorker}. */
export interface DemoWorkerOptions {
  /** The arguments after `deno run --quiet`: permission flags, `worker.ts` and its flags. */
  readonly args: readonly string[];
  /** The worker's environment variables. */
  readonly env: Record<string, string>;
}

/** A worker CLI running as a subprocess; its JSON log lines go to `onLine`. */
export class DemoWorker {
  /** The worker's name in the demo's output: `w1`. */
  readonly label: string;
  readonly #child: Deno.ChildProcess;
  readonly #stderr: Promise<string>;
  readonly #stdout: Promise<void>;
  readonly #started = Promise.withResolvers<void>();
  #exited = false;

  /** Starts the worker in the repository's folder, in its own process group. */
  constructor(label: string, { args, env }: DemoWorkerOptions) {
    this.label = label;
    this.#child = new Deno.Command(Deno.execPath(), {
      args: ["run", "--quiet", ...args],
      cwd: ROOT,
      env,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      detached: true, // its own process group: Ctrl-C reaches the demo, which stops it cleanly
    }).spawn();
    this.#stderr = new Response(this.#child.stderr).text();
    this.#stdout = this.#read();
    this.#started.promise.catch(() => {});
  }

  /** Called with each JSON log line. */
  onLine: (worker: DemoWorker, line: LogLine) => void = () => {};

  async #read(): Promise<void> {
    for await (const text of lines(this.#child.stdout)) {
      let line: LogLine;
      try {
        line = JSON.parse(text) as LogLine;
      } catch {
        continue; // not a log line
      }
      if (line.event === "worker.started") this.#started.resolve();
      this.onLine(this, line);
    }
    this.#exited = true;
    this.#started.reject(await this.#failure("exited before it started"));
  }

  async #failure(what: string): Promise<DemoError> {
    const status = await this.#child.status;
    const stderr = (await this.#stderr).trim();
    return new DemoError(
      `worker ${this.label} ${what} (exit code ${status.code})${stderr ? `:\n${stderr}` : ""}`,
    );
  }

  /** Resolves when the worker consumes from its queue. */
  get started(): Promise<void> {
    return this.#started.promise;
  }

  /** Rejects when the worker exits on its own (it should run until stopped). */
  async unexpectedExit(): Promise<never> {
    await this.#stdout;
    throw await this.#failure("exited unexpectedly");
  }

  /** The OS process id. */
  get pid(): number {
    return this.#child.pid;
  }

  /** Sends SIGTERM (the worker finishes running tasks, then exits 0) and waits for the exit. */
  async stop(): Promise<Deno.CommandStatus> {
    if (!this.#exited) {
      try {
        this.#child.kill("SIGTERM");
      } catch {
        // already gone
      }
    }
    const status = await this.#child.status;
    await this.#stdout;
    await this.#stderr;
    return status;
  }

  /** Kills the worker at once (SIGKILL), for when it does not stop in time. */
  kill(): void {
    try {
      this.#child.kill("SIGKILL");
    } catch {
      // already gone
    }
  }
}
