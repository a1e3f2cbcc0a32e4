/**
 * Two small synchronisation helpers that replace hand-reset `Promise.withResolvers` latches:
 * {@linkcode Gate}, open or shut, and {@linkcode Slot}, a value that comes and goes.
 *
 * @module
 */

/**
 * A gate that is open or shut: {@linkcode Gate.wait} resolves at once while it is open, else
 * when it opens next.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { Gate } from "./gate.ts";
 *
 * const room = new Gate(false);
 * const order: string[] = [];
 * const waiting = room.wait().then(() => order.push("through"));
 * order.push("opening");
 * room.open();
 * await waiting;
 * assertEquals(order, ["opening", "through"]);
 * ```
 */
export class Gate {
  #open: boolean;
  #waiters: Array<() => void> = [];

  /** Creates a gate, open or shut. */
  constructor(open: boolean) {
    this.#open = open;
  }

  /** Whether the gate is open. */
  get isOpen(): boolean {
    return this.#open;
  }

  /** Opens the gate and lets every waiter through. */
  open(): void {
    this.#open = true;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }

  /** Shuts the gate: later waits wait for the next {@linkcode Gate.open}. */
  shut(): void {
    this.#open = false;
  }

  /** Resolves when the gate is open. */
  wait(): Promise<void> {
    if (this.#open) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }
}

/**
 * A value that comes and goes (a live channel, a live connection): {@linkcode Slot.get}
 * resolves with the current value, or with the next one {@linkcode Slot.set} puts in;
 * {@linkcode Slot.fail} ends it for good.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { Slot } from "./gate.ts";
 *
 * const channel = new Slot<string>();
 * const next = channel.get();
 * channel.set("channel 1");
 * assertEquals(await next, "channel 1");
 * channel.clear();
 * assertEquals(channel.current, undefined);
 * ```
 */
export class Slot<T> {
  #value: T | undefined;
  #error: Error | undefined;
  #waiters: Array<{ resolve(value: T): void; reject(err: Error): void }> = [];

  /** The value now, if there is one. */
  get current(): T | undefined {
    return this.#value;
  }

  /** Puts `value` in and hands it to every waiter (ignored once failed). */
  set(value: T): void {
    if (this.#error) return;
    this.#value = value;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiters) waiter.resolve(value);
  }

  /** Takes the value out: later gets wait for the next one. */
  clear(): void {
    this.#value = undefined;
  }

  /** Ends the slot: waiters and later gets reject with `err`. */
  fail(err: Error): void {
    this.#value = undefined;
    this.#error ??= err;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiters) waiter.reject(err);
  }

  /** The value now, or the next one put in; rejects once the slot failed. */
  get(): Promise<T> {
    if (this.#error) return Promise.reject(this.#error);
    if (this.#value !== undefined) return Promise.resolve(this.#value);
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }
}
