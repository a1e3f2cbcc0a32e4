/**
 * The entry point of a handler thread: loads the catalog, then runs one attempt at a time.
 *
 * @module
 */
/// <reference lib="deno.worker" />
import type { Catalog } from "../catalog.ts";
import { describeError } from "../errors.ts";
import type { LogFields, Logger, LogLevel } from "../logger.ts";
import type { FromThread, ThreadError, ToThread } from "./protocol.ts";

let catalog: Catalog | undefined;
let running: AbortController | undefined;

function send(message: FromThread): void {
  self.postMessage(message);
}

function toThreadError(err: unknown): ThreadError {
  return { name: err instanceof Error ? err.name : "Error", message: describeError(err) };
}

function threadLogger(bound: LogFields): Logger {
  const emit = (level: LogLevel) => (event: string, fields?: LogFields) =>
    send({ type: "log", level, event, fields: { ...bound, ...fields } });
  return {
    debug: emit("debug"),
    info: emit("info"),
    warn: emit("warn"),
    error: emit("error"),
    child: (fields) => threadLogger({ ...bound, ...fields }),
  };
}

self.onmessage = async (event: MessageEvent<ToThread>) => {
  const message = event.data;
  if (message.type === "init") {
    try {
      const module = await import(message.module);
      catalog = module[message.exportName] as Catalog;
      if (!catalog || typeof catalog.get !== "function") {
        throw new Error(`${message.module} exports no catalog named '${message.exportName}'`);
      }
      send({ type: "ready" });
    } catch (err) {
      send({ type: "ready", error: toThreadError(err) });
    }
  } else if (message.type === "abort") {
    running?.abort(new Error(message.reason));
  } else {
    const task = catalog?.get(message.task);
    running = new AbortController();
    try {
      if (!task) throw new Error(`this thread's catalog has no task '${message.task}'`);
      const value = await task.handler(message.payload, {
        signal: running.signal,
        attempt: message.attempt,
        id: message.id,
        task: message.task,
        log: threadLogger({ task: message.task, id: message.id }),
      });
      send({ type: "done", ok: true, value });
    } catch (err) {
      send({ type: "done", ok: false, error: toThreadError(err) });
    } finally {
      running = undefined;
    }
  }
};
