/**
 * The window of publishes not yet confirmed: it bounds how many are held in memory (each is
 * kept, body and all, so that it can be sent again after a lost connection), lets publishers
 * wait for room, tells when every one is confirmed, and schedules the new send of a publish the
 * broker nacked.
 *
 * @module
 */
import type { ConfirmChannel } from "../deps/amqplib.ts";
import { describeError } from "../errors/describe.ts";
import { PublishError } from "../errors/publish_error.ts";
import { backoffCeiling } from "../util/backoff.ts";
import { finishesWithin } from "../util/deadline.ts";
import { Gate } from "../util/gate.ts";
import type { EncodedTask } from "../wire/task_codec.ts";

/** A confirmed publish. */
export interface Receipt<N extends string = string> {
  /** The message id of the task. */
  readonly id: string;
  /** The task's name. */
  readonly task: N;
}

/** Hears how a publish ended, once: its receipt, or why it failed. */
export type ConfirmListener = (outcome: Receipt | PublishError) => void;

/** A publish in the window. */
export interface PendingPublish {
  /** The message. */
  readonly message: EncodedTask;
  /** Hears how it ended. */
  readonly onConfirm: ConfirmListener;
  /** The channel of its latest send; `undefined` while it waits to be sent again. */
  channel: ConfirmChannel | undefined;
  /** Its `enqueued` history event as JSON text, made once (when the history is on). */
  readonly event: string | undefined;
  /** How many times the broker nacked it. */
  nacks: number;
}

/** Delay before the first new send of a nacked publish (ms); it doubles up to the max. */
const NACK_RETRY_BACKOFF = { base: 250, max: 4_000 } as const;

/** The publishes not yet confirmed; see the module documentation. */
export class PublishWindow {
  readonly #size: number;
  readonly #pending = new Set<PendingPublish>();
  readonly #timers = new Map<PendingPublish, ReturnType<typeof setTimeout>>();
  readonly #room = new Gate(true);
  readonly #idle = new Gate(true);

  /** A window of at most `size` publishes. */
  constructor(size: number) {
    this.#size = size;
  }

  /** How many publishes wait for their confirm. */
  get count(): number {
    return this.#pending.size;
  }

  /** Whether another publish fits. */
  get hasRoom(): boolean {
    return this.#pending.size < this.#size;
  }

  /** The publishes in the window, oldest first. */
  all(): PendingPublish[] {
    return [...this.#pending];
  }

  /** Whether `pending` is still in the window. */
  holds(pending: PendingPublish): boolean {
    return this.#pending.has(pending);
  }

  /** Puts a new publish in the window (the caller waited for room). */
  add(
    message: EncodedTask,
    onConfirm: ConfirmListener,
    event: string | undefined,
  ): PendingPublish {
    const pending: PendingPublish = {
      message,
      onConfirm,
      channel: undefined,
      event,
      nacks: 0,
    };
    this.#pending.add(pending);
    this.#idle.shut();
    if (!this.hasRoom) this.#room.shut();
    return pending;
  }

  /** Resolves when another publish fits. */
  async waitForRoom(): Promise<void> {
    while (!this.hasRoom) await this.#room.wait();
  }

  /** Whether every publish was confirmed (or failed) within `timeoutMs`. */
  emptiesWithin(timeoutMs: number): Promise<boolean> {
    return finishesWithin(this.#idle.wait(), timeoutMs);
  }

  /**
   * Schedules `send` for a publish the broker nacked, after a backoff, unless its `retries` are
   * used up; returns the delay, or `undefined` when it scheduled nothing. Until then the publish
   * stays in the window (it counts against the window, and closing waits for it).
   */
  retryNacked(
    pending: PendingPublish,
    retries: number,
    send: () => void,
  ): number | undefined {
    if (pending.nacks >= retries) return undefined;
    pending.nacks++;
    pending.channel = undefined; // not sent anywhere now: a late callback of the nacked send is ignored
    const delay = backoffCeiling(pending.nacks, NACK_RETRY_BACKOFF);
    this.cancelRetry(pending);
    this.#timers.set(
      pending,
      setTimeout(() => {
        this.#timers.delete(pending);
        send();
      }, delay),
    );
    return delay;
  }

  /** Cancels the scheduled new send of `pending`, if any (it is being sent sooner). */
  cancelRetry(pending: PendingPublish): void {
    const timer = this.#timers.get(pending);
    if (timer === undefined) return;
    clearTimeout(timer);
    this.#timers.delete(pending);
  }

  /** Takes `pending` out of the window and tells its listener how it ended. */
  finish(pending: PendingPublish, outcome: Receipt | PublishError): void {
    if (!this.#pending.delete(pending)) return;
    this.cancelRetry(pending);
    if (this.hasRoom) this.#room.open();
    if (this.#pending.size === 0) this.#idle.open();
    pending.onConfirm(outcome);
  }

  /** Fails every publish in the window with `reason`. */
  failAll(reason: "closed" | "timeout", cause: unknown): void {
    for (const pending of this.all()) {
      const { id, task } = pending.message;
      this.finish(
        pending,
        new PublishError(
          reason,
          id,
          `Task '${task}' (${id}) was not confirmed: ${describeError(cause)}`,
          { cause },
        ),
      );
    }
  }
}
