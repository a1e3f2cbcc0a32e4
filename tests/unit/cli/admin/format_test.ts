import { assertEquals, assertStringIncludes } from "@std/assert";
import {
  formatDeadLetters,
  formatStatus,
  oneLine,
  table,
} from "../../../../src/cli/admin/format.ts";
import { AMQP_NOTE, missingQueue, type StatusReport } from "../../../../src/admin/status.ts";

Deno.test("table() aligns text left and numbers right", () => {
  assertEquals(
    table([{ title: "NAME" }, { title: "N", right: true }, { title: "NOTE" }], [
      ["a", "1", "x"],
      ["long-name", "123", ""],
    ]),
    ["NAME         N  NOTE", "a            1  x", "long-name  123"],
  );
});

Deno.test("formatStatus() names the source and shows n/a and missing queues", () => {
  const report: StatusReport = {
    delayed: null,
    queue: "q",
    source: "amqp",
    from: "amqp://localhost:5672",
    at: "2025-01-01T00:00:00.000Z",
    queues: [
      {
        name: "q",
        role: "main",
        exists: true,
        ready: 3,
        unacked: null,
        consumers: 1,
        publishRate: null,
        deliverRate: null,
      },
      missingQueue("q.dead", "dead"),
    ],
    notes: [AMQP_NOTE],
  };
  assertEquals(formatStatus(report).split("\n"), [
    "Queue 'q' at 2025-01-01T00:00:00.000Z, from the AMQP passive declares at amqp://localhost:5672",
    "QUEUE   READY  UNACKED  CONSUMERS  PUBLISH/S  DELIVER/S",
    "q           3      n/a          1        n/a        n/a",
    "q.dead      -        -          -          -          -  (does not exist)",
    `note: ${AMQP_NOTE}`,
  ]);
  const management = formatStatus({
    ...report,
    source: "management",
    from: "http://localhost:15672",
    queues: [{ ...report.queues[0]!, unacked: 2, publishRate: 12.345, deliverRate: 0 }],
  });
  assertStringIncludes(management, "from the management API at http://localhost:15672");
  assertStringIncludes(management, "q          3        2          1       12.3        0.0");
});

Deno.test("formatDeadLetters() shows one line per dead letter, errors on one line", () => {
  const text = formatDeadLetters({
    queue: "q.dead",
    total: 5,
    scanned: 5,
    messages: [{
      id: "id-1",
      task: "sum",
      reason: "failed",
      attempts: 4,
      error: "boom\n  at somewhere",
      when: "2025-01-01T00:00:00.000Z",
      worker: "host-1",
      from: "q",
      body: "{}",
    }],
  });
  assertEquals(text.split("\n"), [
    "q.dead: 5 dead letter(s); showing 1, all left in the queue",
    "WHEN                      TASK  ID    REASON  ATTEMPTS  WORKER  ERROR",
    "2025-01-01T00:00:00.000Z  sum   id-1  failed         4  host-1  boom at somewhere",
  ]);
  assertEquals(
    formatDeadLetters({ queue: "q.dead", total: 0, scanned: 0, messages: [] }),
    "q.dead: 0 dead letter(s); showing 0, all left in the queue",
  );
  assertEquals(oneLine("x".repeat(10), 5), "xxxx…");
});

Deno.test("formatStatus() leaves out delay queues that hold nothing, and counts them", () => {
  const queue = (name: string, role: "main" | "delay" | "dead", ready: number) => ({
    name,
    role,
    exists: true,
    ready,
    unacked: null,
    consumers: 0,
    publishRate: null,
    deliverRate: null,
  });
  const lines = formatStatus({
    delayed: 2,
    queue: "q",
    source: "amqp",
    from: "amqp://localhost:5672",
    at: "2025-01-01T00:00:00.000Z",
    queues: [
      queue("q", "main", 0),
      queue("q.delay.0", "delay", 0),
      queue("q.delay.1", "delay", 2),
      queue("q.delay.2", "delay", 0),
      queue("q.dead", "dead", 0),
    ],
    notes: [],
  }).split("\n");
  assertEquals(lines.slice(1), [
    "QUEUE      READY  UNACKED  CONSUMERS  PUBLISH/S  DELIVER/S",
    "q              0      n/a          0        n/a        n/a",
    "q.delay.1      2      n/a          0        n/a        n/a",
    "q.dead         0      n/a          0        n/a        n/a",
    "delayed: 2 task(s) waiting in the delay queues",
    "not shown: 2 empty delay queue(s) (--json lists every queue)",
  ]);
});

Deno.test("formatStatus() shows a stream's retention when the source tells it", () => {
  const stream = (name: string, role: "events" | "control") => ({
    name,
    role,
    exists: true,
    ready: 5,
    unacked: 0,
    consumers: 0,
    publishRate: 0,
    deliverRate: 0,
  });
  const text = formatStatus({
    delayed: 0,
    queue: "q",
    source: "management",
    from: "http://localhost:15672",
    at: "2025-01-01T00:00:00.000Z",
    queues: [
      { ...stream("q.events", "events"), retention: { maxAge: "604800s", maxBytes: 1e9 } },
      { ...stream("q.control", "control"), retention: { maxAge: null, maxBytes: 2e8 } },
    ],
    notes: [],
  });
  assertStringIncludes(text, "(stream: task history; max age 604800s, max 1 GB)");
  assertStringIncludes(text, "(stream: cancels; no age limit, max 200 MB)");
});
