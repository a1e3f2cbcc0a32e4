import { assertEquals } from "@std/assert";
import { createLogger } from "../../../src/util/logger.ts";
import { FIELD_ORDER, logTaskEvent, type TaskEvent } from "../../../src/worker/events.ts";

/** The keys of a text log line, after its time, level and event. */
function keysOf(line: string): string[] {
  return [...line.matchAll(/ ([a-zA-Z]+)=/g)].map((m) => m[1]!);
}

Deno.test("logTaskEvent() writes every event's fields in one order: task, id, attempt, …", () => {
  const events: TaskEvent[] = [
    { event: "task.started", task: "sum", id: "a", attempt: 1 },
    { event: "task.done", task: "sum", id: "a", attempt: 1, ms: 2, result: "3" },
    { event: "task.failed", task: "sum", id: "a", attempt: 1, ms: 2, error: "x", retryIn: 50 },
    { event: "task.dead", reason: "failed", error: "x", ms: 2, attempt: 4, id: "a", task: "sum" },
    { event: "task.returned", reason: "stopping", id: "a", task: "sum" },
  ];
  const lines: string[] = [];
  const log = createLogger({ level: "debug", write: (line) => lines.push(line) });
  for (const event of events) logTaskEvent(log, event);
  for (const line of lines) {
    const keys = keysOf(line);
    assertEquals(keys, FIELD_ORDER.filter((key) => keys.includes(key)), line);
    assertEquals(keys.slice(0, 2), ["task", "id"], line);
  }
  assertEquals(keysOf(lines[3]!), ["task", "id", "attempt", "ms", "error", "reason"]);
});

Deno.test("logTaskEvent() logs failures at warn and dead letters at error", () => {
  const levels: string[] = [];
  const log = createLogger({ level: "debug", format: "json", write: (l) => levels.push(l) });
  logTaskEvent(log, {
    event: "task.failed",
    task: "t",
    id: "a",
    attempt: 1,
    ms: 1,
    error: "e",
    retryIn: 1,
  });
  logTaskEvent(log, { event: "task.dead", id: "a", ms: 1, error: "e", reason: "not-json" });
  assertEquals(levels.map((l) => JSON.parse(l).level), ["warn", "error"]);
});

Deno.test("logTaskEvent() logs a cancelled task at info: a cancel is no error", () => {
  const levels: string[] = [];
  const log = createLogger({ level: "debug", format: "json", write: (l) => levels.push(l) });
  logTaskEvent(log, {
    event: "task.dead",
    task: "sleep",
    id: "a",
    ms: 1,
    error: "cancelled by pid:1 at 2026-12-05T10:00:00.000Z, while running",
    reason: "cancelled",
  });
  assertEquals(levels.map((l) => JSON.parse(l).level), ["info"]);
});
