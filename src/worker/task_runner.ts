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
import { MAX_JSON_DEPTH, measureDepth, utf8Bytes } from "../util/bounds.ts";
import { stringifyJson } from "../util/json.ts";

/**
 * Why a handler's result cannot go on the wire (in the reply, the `succeeded` event and the log),
 * or `undefined` when it can: it nests over {@linkcode MAX_JSON_DEPTH} levels, or its JSON is
 * over `maxBytes`. Such a task is dead-lettered as `invalid-result` (its side effects are done:
 * replaying it runs it again).
 */
export function resultBounds(value: unknown, maxBytes: number): string | undefined {
  const { tooDeep } = measureDepth(value, MAX_JSON_DEPTH);
  if (tooDeep) {
    return `the handler's result nests over ${MAX_JSON_DEPTH} levels deep: results are bounded (see the README's Bounds)`;
  }
  if (typeof value !== "object" || value === null) {
    if (typeof value !== "string" || value.length <= maxBytes / 3) return undefined;
  }
  let json: string;
  try {
    json = stringifyJson(value);
  } catch (err) {
    return `the handler's result cannot be encoded as JSON: ${describeError(err)}`;
  }
  const bytes = json.length > maxBytes ? json.length : utf8Bytes(json);
  return bytes > maxBytes
    ? `the handler's result takes ${bytes}${
      json.length > maxBytes ? " or more" : ""
    } bytes as JSON, over the limit of ${maxBytes} (maxMessageBytes)`
    : undefined;
}

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

  readonly #maxResultBytes: number;

  /**
   * A runner for `handlers`, logging through `log`; a result whose JSON is over
   * `maxResultBytes` (or that nests over `MAX_JSON_DEPTH`) is refused as `invalid-result`.
   */
  constructor(
    handlers: Handlers,
    log: Logger,
    pool: ThreadPool | undefined,
    maxResultBytes: number,
  ) {
    this.#handlers = handlers;
    this.#log = log;
    this.#pool = pool;
    this.#maxResultBytes = maxResultBytes;
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
    const unfit = resultBounds(outcome.value, this.#maxResultBytes);
    if (unfit) return { verdict: { ok: false, invalidResult: unfit } };
    try {
      const result = encodeResult(contract, outcome.value);
      const encodedUnfit = resultBounds(result, this.#maxResultBytes);
      if (encodedUnfit) return { verdict: { ok: false, invalidResult: encodedUnfit } };
      return { verdict: { ok: true }, result };
    } catch (err) {
      return { verdict: { ok: false, invalidResult: describeError(err) } };
    }
  }
}
