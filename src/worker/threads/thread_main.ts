/**
 * The entry point of a handler thread: loads the handlers, then runs one attempt at a time.
 *
 * @module
 */
/// <reference lib="deno.worker" />
import { describeError } from "../../errors/describe.ts";
import type { Handlers } from "../../task/handlers.ts";
import type { LogFields, Logger, LogLevel } from "../../util/logger.ts";
import { checkProgress } from "../progress.ts";
import type { FromThread, ThreadError, ToThread } from "./protocol.ts";

let handlers: Handlers | undefined;
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

/** Loads the handlers exported as `exportName` by the module at `url`. */
async function load(url: string, exportName: string): Promise<Handlers> {
  // The module is the application's own, named by an absolute URL at run time (see
  // WorkerOptions.threads), so no import map is needed to resolve it, and no static analysis
  // (`deno compile`, `deno publish`) can follow it: compiled workers embed it with --include.
  const module = await import(url);
  const value: unknown = module[exportName];
  if (typeof (value as Partial<Handlers> | undefined)?.get !== "function") {
    throw new Error(`${url} exports no handlers named '${exportName}' (see defineHandlers)`);
  }
  return value as Handlers;
}

self.onmessage = async (event: MessageEvent<ToThread>) => {
  const message = event.data;
  if (message.type === "init") {
    try {
      handlers = await load(message.module, message.exportName);
      send({ type: "ready" });
    } catch (err) {
      send({ type: "ready", error: toThreadError(err) });
    }
  } else if (message.type === "abort") {
    running?.abort(new Error(message.reason));
  } else {
    const task = handlers?.get(message.task);
    running = new AbortController();
    try {
      if (!task) throw new Error(`this thread's handlers have no task '${message.task}'`);
      const value = await task.handler(message.payload, {
        signal: running.signal,
        attempt: message.attempt,
        id: message.id,
        task: message.task,
        log: threadLogger({ task: message.task, id: message.id }),
        progress: (fraction: number, note?: string) => {
          checkProgress(fraction, note);
          send({ type: "progress", fraction, ...(note === undefined ? {} : { note }) });
        },
      });
      send({ type: "done", ok: true, value });
    } catch (err) {
      send({ type: "done", ok: false, error: toThreadError(err) });
    } finally {
      running = undefined;
    }
  }
};
