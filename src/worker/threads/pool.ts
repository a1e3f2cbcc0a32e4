/**
 * A pool of threads (Web Workers) that run the handlers of CPU-heavy tasks, so that the main
 * thread keeps heartbeats and acks flowing. Each thread runs one attempt at a time; at a task's
 * time limit its thread is terminated and replaced, so even a handler that never yields stops.
 *
 * @module
 */
import type { AttemptResult } from "../attempt.ts";
import type { BoundTask } from "../../task/handlers.ts";
import { ConfigError } from "../../errors/config_error.ts";
import { NonRetryableError } from "../../errors/non_retryable_error.ts";
import { PermissionError } from "../../errors/permission_error.ts";
import { TaskTimeoutError } from "../../errors/task_timeout_error.ts";
import { permissionAdvice } from "../../util/permissions.ts";
import type { Logger } from "../../util/logger.ts";
import type { DoneMessage, FromThread, ThreadError, ToThread } from "./protocol.ts";

/** Options of {@linkcode ThreadPool.start}. */
export interface ThreadPoolOptions {
  /** How many threads. */
  size: number;
  /** URL of the module that exports the handlers (threads load it themselves). */
  module: string | URL;
  /**
   * Name of the handlers' export in that module.
   * @default {"handlers"}
   */
  exportName?: string;
  /** Where handlers' log records go. */
  logger: Logger;
}

interface Thread {
  readonly worker: Worker;
  onDone: ((message: DoneMessage) => void) | undefined;
  onProgress: ((fraction: number, note?: string) => void) | undefined;
  retired: boolean;
}

/** How long a cancelled attempt may take to notice its signal before its thread is replaced. */
const CANCEL_GRACE_MS = 1_000;

const THREAD_MAIN = new URL("./thread_main.ts", import.meta.url);

function fromThreadError(error: ThreadError | undefined): Error {
  if (error?.name === "NonRetryableError") return new NonRetryableError(error.message);
  const err = new Error(error?.message ?? "the thread failed");
  err.name = error?.name ?? "Error";
  return err;
}

/** Runs attempts on a fixed number of threads; see the module documentation. */
export class ThreadPool {
  readonly #options: Required<ThreadPoolOptions>;
  readonly #idle: Thread[] = [];
  readonly #waiting: Array<(thread: Thread) => void> = [];
  readonly #all = new Set<Thread>();
  #closed = false;

  private constructor(options: ThreadPoolOptions) {
    this.#options = { exportName: "handlers", ...options };
  }

  /** Starts `size` threads and waits until each has loaded the handlers. */
  static async start(options: ThreadPoolOptions): Promise<ThreadPool> {
    if (!Number.isInteger(options.size) || options.size < 1) {
      throw new ConfigError(
        `Cannot start worker threads as 'threads' must be a positive integer: current value is ${options.size}`,
      );
    }
    for (const url of [THREAD_MAIN, new URL(String(options.module))]) {
      if (url.protocol !== "file:") continue;
      const path = decodeURIComponent(url.pathname);
      if (Deno.permissions.querySync({ name: "read", path }).state !== "granted") {
        const folder = decodeURIComponent(new URL("../../..", THREAD_MAIN).pathname);
        throw new PermissionError(
          `Cannot start worker threads as Deno may not read ${path} (threads load their code from disk): ${
            permissionAdvice(`--allow-read=${folder}`)
          }`,
        );
      }
    }
    const pool = new ThreadPool(options);
    try {
      const threads = await Promise.all(Array.from({ length: options.size }, () => pool.#spawn()));
      pool.#idle.push(...threads);
    } catch (err) {
      pool.close();
      throw err;
    }
    return pool;
  }

  /** How many threads the pool keeps. */
  get size(): number {
    return this.#options.size;
  }

  /**
   * Runs one attempt of `task` (a contract and its handler) on a thread. The attempt fails with a
   * {@linkcode TaskTimeoutError} at `timeoutMs` (its thread is replaced), or with `cancel`'s reason
   * when that fires and the handler does not end within a second.
   */
  async run(
    task: BoundTask,
    payload: Record<string, unknown>,
    context: {
      readonly id: string;
      readonly attempt: number;
      readonly progress: (fraction: number, note?: string) => void;
    },
    timeoutMs: number,
    cancel: AbortSignal,
  ): Promise<AttemptResult> {
    const thread = await this.#acquire();
    return new Promise<AttemptResult>((resolve) => {
      let settled = false;
      let graceTimer: ReturnType<typeof setTimeout> | undefined;
      const finish = (result: AttemptResult, replace: boolean) => {
        if (settled) return;
        settled = true;
        clearTimeout(limitTimer);
        clearTimeout(graceTimer);
        cancel.removeEventListener("abort", onCancel);
        thread.onDone = undefined;
        thread.onProgress = undefined;
        if (replace) this.#replace(thread);
        else this.#release(thread);
        resolve(result);
      };
      thread.onProgress = (fraction, note) => context.progress(fraction, note);
      thread.onDone = (message) =>
        finish(
          message.ok ? { ok: true, value: message.value } : {
            ok: false,
            error: fromThreadError(message.error),
          },
          false,
        );
      const limitTimer = setTimeout(
        () =>
          finish({ ok: false, error: new TaskTimeoutError(task.contract.name, timeoutMs) }, true),
        timeoutMs,
      );
      const onCancel = () => {
        this.#post(thread, { type: "abort", reason: String(cancel.reason) });
        graceTimer = setTimeout(
          () => finish({ ok: false, error: cancel.reason }, true),
          CANCEL_GRACE_MS,
        );
      };
      if (cancel.aborted) onCancel();
      else cancel.addEventListener("abort", onCancel, { once: true });
      this.#post(thread, {
        type: "run",
        task: task.contract.name,
        payload,
        id: context.id,
        attempt: context.attempt,
      });
    });
  }

  /** Terminates every thread. */
  close(): void {
    this.#closed = true;
    for (const thread of this.#all) thread.worker.terminate();
    this.#all.clear();
    this.#idle.length = 0;
  }

  #post(thread: Thread, message: ToThread): void {
    thread.worker.postMessage(message);
  }

  #spawn(): Promise<Thread> {
    const worker = new Worker(THREAD_MAIN.href, { type: "module", name: "warren handler" });
    const thread: Thread = { worker, onDone: undefined, onProgress: undefined, retired: false };
    this.#all.add(thread);
    const { promise, resolve, reject } = Promise.withResolvers<Thread>();
    worker.onmessage = (event: MessageEvent<FromThread>) => {
      const message = event.data;
      if (message.type === "ready") {
        if (message.error) {
          reject(
            new ConfigError(
              `A handler thread could not load the handlers: ${message.error.message}`,
            ),
          );
        } else resolve(thread);
      } else if (message.type === "log") {
        this.#options.logger[message.level](message.event, message.fields);
      } else if (message.type === "progress") {
        thread.onProgress?.(message.fraction, message.note);
      } else {
        thread.onDone?.(message);
      }
    };
    worker.onerror = (event: ErrorEvent) => {
      event.preventDefault();
      const error: ThreadError = { name: "Error", message: event.message };
      reject(new ConfigError(`A handler thread failed to start: ${event.message}`));
      thread.onDone?.({ type: "done", ok: false, error });
    };
    this.#post(thread, {
      type: "init",
      module: String(this.#options.module),
      exportName: this.#options.exportName,
    });
    return promise;
  }

  #acquire(): Promise<Thread> {
    const thread = this.#idle.pop();
    if (thread) return Promise.resolve(thread);
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  #release(thread: Thread): void {
    if (thread.retired || this.#closed) return;
    const next = this.#waiting.shift();
    if (next) next(thread);
    else this.#idle.push(thread);
  }

  #replace(thread: Thread): void {
    thread.retired = true;
    thread.worker.terminate();
    this.#all.delete(thread);
    if (this.#closed) return;
    this.#spawn().then(
      (fresh) => this.#release(fresh),
      (err) => this.#options.logger.error("thread.failed", { error: String(err) }),
    );
  }
}
