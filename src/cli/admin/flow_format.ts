/**
 * The flow-control part of `admin.ts status`: the key partitions that hold tasks or have no
 * consumer (the longest backlog first), and the rate limits asked for with `--limit`.
 *
 * @module
 */
import type { FlowStatus } from "../../admin/flow_status.ts";
import { table } from "./format.ts";

/** The flow control as text lines; none when the work queue has no partition or limit. */
export function formatFlowStatus(status: FlowStatus): string[] {
  const lines: string[] = [];
  if (status.partitions.length > 0) {
    const waiting = status.partitions.reduce((n, p) => n + p.ready, 0);
    // The longest backlogs first: a key's backlog is its partition's.
    const shown = status.partitions.filter((p) => p.ready > 0 || p.consumers === 0)
      .sort((a, b) => b.ready - a.ready);
    lines.push(
      "",
      `key partitions: ${status.partitions.length}, ${waiting} keyed task(s) waiting${
        shown.length < status.partitions.length
          ? ` (${status.partitions.length - shown.length} empty and consumed not shown)`
          : ""
      }`,
    );
    if (shown.length > 0) {
      lines.push(...table(
        [{ title: "PARTITION" }, { title: "READY", right: true }, {
          title: "CONSUMERS",
          right: true,
        }],
        shown.map((p) => [p.name, String(p.ready), String(p.consumers)]),
      ));
    }
  }
  if (status.limits.length > 0) {
    lines.push("");
    lines.push(...table(
      [
        { title: "RATE LIMIT" },
        { title: "WAITING", right: true },
        { title: "TOKENS", right: true },
        { title: "WORKERS", right: true },
        { title: "" },
      ],
      status.limits.map((l) =>
        l.exists
          ? [
            l.task,
            String(l.waiting ?? "n/a"),
            String(l.tokens ?? "n/a"),
            String(l.consumers ?? "n/a"),
            l.refilling ? "refilled" : "NOT REFILLED: no worker holds its baton",
          ]
          : [l.task, "-", "-", "-", "(no such limit on this queue)"]
      ),
    ));
  }
  return lines;
}
