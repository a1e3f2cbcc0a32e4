import { assertEquals } from "@std/assert";
import { historyTable } from "../../../bench/history.ts";
import { METRICS, type RowSummary } from "../../../bench/matrix.ts";
import type { Variant } from "../../../bench/run.ts";

/** A row whose every metric has `rates` as its medians. */
function row(rates: Partial<Record<Variant, number>>): RowSummary {
  return {
    type: "classic",
    prefetch: 1,
    medians: Object.fromEntries(METRICS.map((m) => [m, rates])) as RowSummary["medians"],
  };
}

Deno.test("the history's table shows the plain pairs only when their variants ran", () => {
  const summary = row({
    warren: 5000,
    "warren-history": 2000,
    plain: 10000,
    "plain-history": 2700,
    "plain-history-early": 3000,
  });
  const warrenOnly = historyTable([summary], ["warren", "warren-history"]);
  assertEquals(warrenOnly.split("\n")[0]!.includes("plain"), false);
  assertEquals(warrenOnly.split("\n")[2]!.trim().endsWith("0.40x"), true);

  const all = historyTable([summary], [
    "plain",
    "plain-history",
    "plain-history-early",
    "warren",
    "warren-history",
  ]);
  const header = all.split("\n")[0]!;
  assertEquals(header.includes("plain on / off"), true);
  assertEquals(header.includes("plain, early ack on / off"), true);
  // Drain: Warren 0.40, plain 0.27, plain with an early ack 0.30, in that order.
  const drain = all.split("\n")[2]!.trim().split(/\s{2,}/);
  assertEquals(drain.filter((cell) => cell.endsWith("x")), ["0.40x", "0.27x", "0.30x"]);
});
