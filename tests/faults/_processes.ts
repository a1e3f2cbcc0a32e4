/**
 * Processes of the fault tests: a producer CLI whose output can be awaited while it runs, and a
 * pool of worker CLIs that can be killed, replaced and (optionally) restarted when they die.
 *
 * @module
 */
import { rootPath, WorkerProcess, type WorkerProcessOptions } from "../_helpers/cli.ts";

/** Options of {@linkcode ProducerProcess}. */
export interface ProducerProcessOptions {
  /** Permission flags. */
  readonly flags: readonly string[];
  /** Extra environment variables. */
  readonly env?: Record<string, string>;
}

/** What a finished producer printed and how it exited. */
export interface ProducerExit {
  /** Exit code. */
  readonly code: number;
  /** Standard output. */
  readonly stdout: string;
  /** Standard error. */
  readonly stderr: string;
}

/**
 * `producer.ts` running as a subprocess, whose stdout and stderr can be awaited while it runs
 * (`runCli` only returns them at the end).
 */
export class ProducerProcess implements AsyncDisposable {
  readonly #child: Deno.ChildProcess;
  readonly #waiters = new Set<() => void>();
  readonly #pumps: Promise<void>;
  #stdout = "";
  #stderr = "";
  #ended = false;

  /** Starts `producer.ts` with `args`. */
  constructor(args: readonly string[], options: ProducerProcessOptions) {
    this.#child = new Deno.Command(Deno.execPath(), {
      args: ["run", "--quiet", ...options.flags, rootPath("producer.ts"), ...args],
      cwd: rootPath(""),
      env: { NO_COLOR: "1", ...options.env },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.#pumps = Promise.all([
      this.#pump(this.#child.stdout, (text) => this.#stdout += text),
      this.#pump(this.#child.stderr, (text) => this.#stderr += text),
    ]).then(() => {
      this.#ended = true;
      this.#wake();
    });
  }

  async #pump(
    stream: ReadableStream<Uint8Array<ArrayBuffer>>,
    add: (text: string) => void,
  ): Promise<void> {
    for await (const text of stream.pipeThrough(new TextDecoderStream())) {
      add(text);
      this.#wake();
    }
  }

  #wake(): void {
    for (const wake of this.#waiters) wake();
  }

  /** Standard output so far. */
  get stdout(): string {
    return this.#stdout;
  }

  /** Standard error so far. */
  get stderr(): string {
    return this.#stderr;
  }

  /** Resolves once `predicate` holds; rejects after `timeoutMs` or when the output ended first. */
  async waitFor(
    predicate: (stdout: string, stderr: string) => boolean,
    what: string,
    timeoutMs = 30_000,
  ): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this.#stdout, this.#stderr)) {
      if (this.#ended || Date.now() > deadline) {
        const why = this.#ended ? "the producer's output ended" : `${timeoutMs} ms passed`;
        throw new Error(`Waiting for ${what}: ${why}. stderr:\n${this.#stderr.slice(-2000)}`);
      }
      await new Promise<void>((resolve) => {
        const waiters = this.#waiters;
        const timer = setTimeout(wake, Math.max(0, deadline - Date.now()) + 1);
        waiters.add(wake);
        function wake() {
          clearTimeout(timer);
          waiters.delete(wake);
          resolve();
        }
      });
    }
  }

  /** Waits for the producer to exit. */
  async exit(): Promise<ProducerExit> {
    const status = await this.#child.status;
    await this.#pumps;
    return { code: status.code, stdout: this.#stdout, stderr: this.#stderr };
  }

  /** Kills the producer if it still runs and waits for it. */
  async [Symbol.asyncDispose](): Promise<void> {
    try {
      this.#child.kill("SIGKILL");
    } catch {
      // already gone
    }
    await this.exit();
  }
}

/** How a worker of a pool ended. */
export interface WorkerExit {
  /** The worker. */
  readonly worker: WorkerProcess;
  /** Exit code. */
  readonly code: number;
  /** The signal that ended it, if one did. */
  readonly signal: Deno.Signal | null;
  /** What it printed on stderr. */
  readonly stderr: string;
}

/** Options of {@linkcode WorkerPool}. */
export interface WorkerPoolOptions extends WorkerProcessOptions {
  /** Called with each worker the pool starts (to follow its log, say). */
  readonly onStart?: (worker: WorkerProcess) => void;
  /** Start a replacement whenever a worker exits on its own (not by the pool's hand). */
  readonly restartDead?: boolean;
}

/**
 * Worker CLIs on one queue. Keeps every worker it ever started (their logs stay readable after
 * they died), replaces killed ones at once, and with `restartDead` acts as a supervisor that
 * starts a new worker whenever one exits.
 */
export class WorkerPool implements AsyncDisposable {
  readonly #args: readonly string[];
  readonly #options: WorkerPoolOptions;
  readonly #alive = new Set<WorkerProcess>();
  readonly #exits: WorkerExit[] = [];
  readonly #settled: Promise<void>[] = [];
  readonly #all: WorkerProcess[] = [];
  readonly #killed = new Set<WorkerProcess>();
  #stopping = false;

  /** Starts `size` workers with `args`. */
  constructor(size: number, args: readonly string[], options: WorkerPoolOptions) {
    this.#args = args;
    this.#options = options;
    for (let i = 0; i < size; i++) this.spawn();
  }

  /** Starts one more worker. */
  spawn(): WorkerProcess {
    const worker = new WorkerProcess(this.#args, this.#options);
    this.#all.push(worker);
    this.#alive.add(worker);
    this.#options.onStart?.(worker);
    this.#settled.push(
      worker.exit().then(({ code, signal, stderr }) => {
        this.#alive.delete(worker);
        this.#exits.push({ worker, code, signal, stderr });
        const byUs = this.#killed.has(worker);
        if (this.#options.restartDead && !this.#stopping && !byUs) this.spawn();
      }),
    );
    return worker;
  }

  /** Every worker the pool started, dead ones included, in start order. */
  get all(): readonly WorkerProcess[] {
    return this.#all;
  }

  /** The workers still running. */
  get alive(): WorkerProcess[] {
    return [...this.#alive];
  }

  /** How the workers that ended so far ended. */
  get exits(): readonly WorkerExit[] {
    return this.#exits;
  }

  /** Resolves once every worker started so far has logged `worker.started`. */
  async started(): Promise<void> {
    await Promise.all(this.alive.map((w) => w.started()));
  }

  /** SIGKILLs `worker` and starts its replacement at once; resolves when the killed one is gone. */
  async killAndReplace(worker: WorkerProcess): Promise<WorkerProcess> {
    this.#alive.delete(worker);
    this.#killed.add(worker);
    worker.kill("SIGKILL");
    const next = this.#stopping ? undefined : this.spawn();
    await worker.exit();
    if (!next) throw new Error("the pool is stopping");
    return next;
  }

  /**
   * Sends SIGTERM to every running worker once it is up (none is restarted from now on) and
   * waits until all have exited; returns how each worker that ever ran ended.
   */
  async stop(): Promise<readonly WorkerExit[]> {
    this.#stopping = true;
    // A worker that is still loading has no signal handler yet, and SIGTERM would kill it.
    await Promise.all(this.alive.map((worker) => worker.started().catch(() => {})));
    for (const worker of this.#alive) worker.kill("SIGTERM");
    // A supervisor may have started a worker in the meantime: settle until none is left.
    for (let seen = 0; seen < this.#settled.length;) {
      const batch = this.#settled.slice(seen);
      seen = this.#settled.length;
      await Promise.all(batch);
    }
    return this.#exits;
  }

  /** SIGKILLs every worker still running and waits for all. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.#stopping = true;
    for (const worker of this.#alive) worker.kill("SIGKILL");
    await Promise.all(this.#settled);
  }
}
