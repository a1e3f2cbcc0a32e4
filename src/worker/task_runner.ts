/**
 * Running one attempt of a decoded task: the handler's context, the thread pool for CPU-heavy
 * tasks (or the main thread), and the result encoded by the task's result schema, all turned
 * into the verdict that the disposition reads.
 *
 * @module
 */
import { describeError } from "../errors/describe.ts";
import type { DecodedTask } from "../task/decode.ts";
import type { Handlers } from "../task/handlers.ts";
import { encodeResult } from "../task/results.ts";
import type { Logger } from "../util/logger.ts";
import { runAttempt } from "./attempt.ts";
import type { AttemptVerdict } from "./disposition.ts";
import type { ThreadPool } from "./threads/pool.ts";

/** How an attempt ended: the verdict, and the result in its wire form when it succeeded. */
export interface RunOutcome {
  /** What the disposition reads. */
  readonly verdict: AttemptVerdict;
  /** The handler's result, encoded by the result schema (when the verdict is ok). */
  readonly result?: unknown;
}

/** Runs attempts of the tasks of `handlers`, CPU-heavy ones in `pool` when there is one. */
export class TaskRunner {
  readonly #handlers: Handlers;
  readonly #log: Logger;
  readonly #pool: ThreadPool | undefined;

  /** A runner for `handlers`, logging through `log`. */
  constructor(handlers: Handlers, log: Logger, pool: ThreadPool | undefined) {
    this.#handlers = handlers;
    this.#log = log;
    this.#pool = pool;
  }

  /**
   * Runs attempt number `attempt` of `task`; `signal` fires when the worker gives the task up
   * (closing, connection lost, cancelled), and the verdict then says `givenUp`. The handler's
   * `context.progress` calls `progress`.
   */
  async run(
    task: DecodedTask,
    attempt: number,
    signal: AbortSignal,
    progress: (fraction: number, note?: string) => void = () => {},
  ): Promise<RunOutcome> {
    const { contract, payload, id } = task;
    const bound = this.#handlers.get(contract.name)!;
    const log = this.#log;
    let child: Logger | undefined;
    const context = {
      attempt,
      id,
      task: contract.name,
      get log(): Logger {
        return child ??= log.child({ task: contract.name, id });
      },
      progress,
    };
    const outcome = this.#pool && contract.cpu
      ? await this.#pool.run(bound, payload, context, contract.timeout, signal)
      : await runAttempt(bound, payload, context, contract.timeout, signal);
    if (!outcome.ok) {
      return {
        verdict: {
          ok: false,
          error: outcome.error,
          message: describeError(outcome.error),
          givenUp: signal.aborted && signal.reason === outcome.error,
        },
      };
    }
    try {
      return { verdict: { ok: true }, result: encodeResult(contract, outcome.value) };
    } catch (err) {
      return { verdict: { ok: false, invalidResult: describeError(err) } };
    }
  }
}
