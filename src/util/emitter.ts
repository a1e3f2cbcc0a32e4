/**
 * Typed events by name: `on("task.done", listener)`, and `"*"` for every event. Classes that
 * report events extend {@linkcode Emitter}; only they can emit.
 *
 * @module
 */

/** Listens to one event. */
export type Listener<E> = (event: E) => void;

/** The listener type for events named `K` of `E` (`"*"`: every event). */
export type ListenerOf<E extends { readonly event: string }, K> = Listener<
  K extends "*" ? E : Extract<E, { event: K }>
>;

/**
 * A typed event emitter over events that carry their name in an `event` field. Listeners are
 * called in the order they were added; one that throws does not stop the others (its error is
 * reported with `reportError`).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { Emitter } from "./emitter.ts";
 *
 * type Ping = { event: "ping"; n: number };
 * type Pong = { event: "pong" };
 * class Pinger extends Emitter<Ping | Pong> {
 *   ping(n: number) {
 *     this.emit({ event: "ping", n });
 *   }
 * }
 * const pinger = new Pinger();
 * const heard: number[] = [];
 * const off = pinger.on("ping", (e) => heard.push(e.n));
 * pinger.ping(1);
 * off();
 * pinger.ping(2);
 * assertEquals(heard, [1]);
 * ```
 */
export class Emitter<E extends { readonly event: string }> {
  readonly #listeners = new Map<string, Set<Listener<never>>>();

  /** Calls `listener` with each event named `name` (`"*"`: every event); returns `off`. */
  on<K extends E["event"] | "*">(name: K, listener: ListenerOf<E, K>): () => void {
    let set = this.#listeners.get(name);
    if (!set) this.#listeners.set(name, set = new Set());
    set.add(listener as Listener<never>);
    return () => this.off(name, listener);
  }

  /** Calls `listener` with the next event named `name` only; returns `off`. */
  once<K extends E["event"] | "*">(name: K, listener: ListenerOf<E, K>): () => void {
    const off = this.on(
      name,
      ((event: never) => {
        off();
        (listener as Listener<never>)(event);
      }) as ListenerOf<E, K>,
    );
    return off;
  }

  /** Removes a listener added with {@linkcode Emitter.on}. */
  off<K extends E["event"] | "*">(name: K, listener: ListenerOf<E, K>): void {
    this.#listeners.get(name)?.delete(listener as Listener<never>);
  }

  /** Calls the listeners of `event.event`, then those of `"*"`. */
  protected emit(event: E): void {
    for (const name of [event.event, "*"]) {
      const set = this.#listeners.get(name);
      if (!set) continue;
      for (const listener of [...set]) {
        try {
          (listener as Listener<E>)(event);
        } catch (err) {
          reportError(err);
        }
      }
    }
  }
}
