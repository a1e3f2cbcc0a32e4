import { assertEquals } from "@std/assert";
import { formatFlowStatus } from "../../../../src/cli/admin/flow_format.ts";

Deno.test("formatFlowStatus() shows the partitions with a backlog, the longest first, and those without a consumer", () => {
  const partition = (i: number, ready: number, consumers = 2) => ({
    name: `q.part.${i}`,
    ready,
    consumers,
  });
  const lines = formatFlowStatus({
    partitions: [partition(0, 0), partition(1, 4), partition(2, 0, 0), partition(3, 90)],
    limits: [
      {
        task: "call",
        exists: true,
        waiting: 180,
        tokens: 0,
        consumers: 2,
        refilling: true,
      },
      {
        task: "nope",
        exists: false,
        waiting: null,
        tokens: null,
        consumers: null,
        refilling: null,
      },
    ],
  });
  assertEquals(lines, [
    "",
    "key partitions: 4, 94 keyed task(s) waiting (1 empty and consumed not shown)",
    "PARTITION  READY  CONSUMERS",
    "q.part.3      90          2",
    "q.part.1       4          2",
    "q.part.2       0          0",
    "",
    "RATE LIMIT  WAITING  TOKENS  WORKERS",
    "call            180       0        2  refilled",
    "nope              -       -        -  (no such limit on this queue)",
  ]);
});

Deno.test("formatFlowStatus() says nothing of a queue without partitions or limits", () => {
  assertEquals(formatFlowStatus({ partitions: [], limits: [] }), []);
});
