/**
 * What the admin CLI prints of texts a task wrote (its name, its error, its result): terminal
 * control characters as escapes, never raw, and long texts cut unless asked for whole.
 *
 * @module
 */
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import {
  formatDeadLetters,
  printable,
  printableJson,
  table,
} from "../../../../src/cli/admin/format.ts";
import { formatTask, formatTasks } from "../../../../src/cli/admin/history_format.ts";
import { foldTimeline } from "../../../../src/history/timeline.ts";
import { NONE_SKIPPED } from "../../../../src/history/skipped.ts";
import type { HistoryEvent } from "../../../../src/wire/events.ts";

/** Whether `text` holds a character a terminal acts on (other than the newlines between lines). */
// deno-lint-ignore no-control-regex -- control characters are what this looks for
const raw = (text: string) => /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e]/.test(text);

const at = "2026-12-01T12:00:00.000Z";
const hostile = "evil\x1b[2J\x1b]0;pwned\x07\u009b31m\u202egnp.exe\r";

Deno.test("printable() writes every control character as an escape", () => {
  assertEquals(printable("a\x1b[1mb\nc\td\u009b\u202e"), "a\\x1b[1mb\\nc\\td\\x9b\\u202e");
  assertEquals(printable("plain é 😀"), "plain é 😀");
  assertEquals(printableJson(JSON.stringify({ e: "\u009b\u202e" })), '{"e":"\\u009b\\u202e"}');
  assertEquals(JSON.parse(printableJson(JSON.stringify({ e: "\u009b" }))), { e: "\u009b" });
});

Deno.test("table() escapes its cells, whatever their type", () => {
  const lines = table([{ title: "A" }, { title: "B" }], [[hostile, String(5)]]);
  assert(!lines.some(raw), lines.join("\n"));
});

Deno.test("admin.ts task prints a hostile name and error escaped, cut unless --full", () => {
  const events: HistoryEvent[] = [
    { v: 1, event: "enqueued", id: "t1", task: hostile, at },
    { v: 1, event: "started", id: "t1", task: hostile, at, worker: hostile, attempt: 1 },
    {
      v: 1,
      event: "dead",
      id: "t1",
      task: hostile,
      at,
      worker: "w",
      reason: "failed",
      error: `${hostile}${"x".repeat(5000)}`,
    },
  ];
  const record = { ...foldTimeline(events)!, skipped: { count: 2, reasons: { "too-deep": 2 } } };
  const text = formatTask(record, "jobs");
  assert(!raw(text), text);
  assertStringIncludes(text, "evil\\x1b[2J");
  assertStringIncludes(text, "…[cut: 50");
  assertStringIncludes(text, "--full prints them whole");
  assertStringIncludes(text, "note: 2 event(s) of this task could not be read and were skipped");
  const full = formatTask(record, "jobs", { full: true });
  assert(!raw(full));
  assert(full.includes("x".repeat(5000)));
  assert(!full.includes("…[cut:"));
  const list = formatTasks(
    {
      tasks: [foldTimeline(events)!],
      matched: 1,
      skipped: { count: 1, reasons: { "not-an-event": 1 } },
    },
    "Tasks",
  );
  assert(!raw(list), list);
  assertStringIncludes(list, "note: 1 event(s) could not be read and was skipped");
  assertEquals(
    formatTask({ ...foldTimeline(events.slice(0, 1))!, skipped: NONE_SKIPPED }, "q")
      .includes("note:"),
    false,
  );
});

Deno.test("admin.ts dead list prints a hostile task name and error escaped", () => {
  const text = formatDeadLetters(
    {
      queue: "jobs.dead",
      total: 1,
      messages: [{
        id: "d\x1b1",
        task: hostile,
        reason: "failed",
        attempts: 1,
        error: hostile,
        when: at,
        worker: "w",
        from: "jobs",
        body: "{}",
      }],
    } as unknown as Parameters<typeof formatDeadLetters>[0],
  );
  assert(!raw(text), text);
  assertStringIncludes(text, "\\x1b");
});
