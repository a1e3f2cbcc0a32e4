/**
 * Plain-text tables of the admin tools' results, for people (`--json` prints the objects).
 *
 * @module
 */
import type { DeadLetterList } from "../../admin/dead_letters.ts";
import type { QueueStatus, StatusReport } from "../../admin/status.ts";

/** A column: its heading and whether its cells line up on the right (numbers). */
interface Column {
  readonly title: string;
  readonly right?: boolean;
}

/** Lays out `rows` under `columns`, two spaces apart; the last column is not padded. */
export function table(columns: readonly Column[], rows: readonly (readonly string[])[]): string[] {
  const widths = columns.map((column, i) =>
    Math.max(column.title.length, ...rows.map((row) => (row[i] ?? "").length))
  );
  const line = (cells: readonly string[]) =>
    columns.map((column, i) => {
      const cell = cells[i] ?? "";
      if (i === columns.length - 1 && !column.right) return cell;
      return column.right ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!);
    }).join("  ").trimEnd();
  return [line(columns.map((c) => c.title)), ...rows.map(line)];
}

const count = (value: number | null) => value === null ? "n/a" : String(value);
const rate = (value: number | null) => value === null ? "n/a" : value.toFixed(1);

/** Says where a report's numbers came from. */
export function describeSource(report: StatusReport): string {
  return report.source === "management"
    ? `management API at ${report.from}`
    : `AMQP passive declares at ${report.from}`;
}

/** Whether a queue is a delay queue that holds nothing and nobody reads (the table leaves it out). */
/** What the last column says of Warren's streams (their READY is the messages they keep). */
const STREAM_NOTES: Partial<Record<QueueStatus["role"], string>> = {
  events: "(stream: task history)",
  control: "(stream: cancels)",
};

function idleDelayQueue(q: QueueStatus): boolean {
  return (q.role === "delay" || q.role === "retry") && q.exists && q.ready === 0 &&
    (q.unacked ?? 0) === 0 && q.consumers === 0 && !q.publishRate && !q.deliverRate;
}

/**
 * A status report as a table with a heading line and its notes. Delay queues that hold nothing
 * are left out of the table and counted in one line (`--json` lists them all).
 */
export function formatStatus(report: StatusReport): string {
  const idle = report.queues.filter(idleDelayQueue);
  const rows = report.queues.filter((q) => !idleDelayQueue(q)).map((q) =>
    q.exists
      ? [
        q.name,
        count(q.ready),
        count(q.unacked),
        count(q.consumers),
        rate(q.publishRate),
        rate(q.deliverRate),
        STREAM_NOTES[q.role] ?? "",
      ]
      : [q.name, "-", "-", "-", "-", "-", "(does not exist)"]
  );
  const lines = table(
    [
      { title: "QUEUE" },
      { title: "READY", right: true },
      { title: "UNACKED", right: true },
      { title: "CONSUMERS", right: true },
      { title: "PUBLISH/S", right: true },
      { title: "DELIVER/S", right: true },
      { title: "" },
    ],
    rows,
  );
  const delayed = report.delayed === null
    ? []
    : [`delayed: ${report.delayed} task(s) waiting in the delay queues`];
  const hidden = idle.length === 0
    ? []
    : [`not shown: ${idle.length} empty delay queue(s) (--json lists every queue)`];
  return [
    `Queue '${report.queue}' at ${report.at}, from the ${describeSource(report)}`,
    ...lines,
    ...delayed,
    ...hidden,
    ...report.notes.map((note) => `note: ${note}`),
  ].join("\n");
}

/** Shortens `text` to one line of at most `max` characters. */
export function oneLine(text: string, max: number): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}

/** Dead letters as a table with a heading line. */
export function formatDeadLetters(list: DeadLetterList): string {
  const heading =
    `${list.queue}: ${list.total} dead letter(s); showing ${list.messages.length}, all left in the queue`;
  if (list.messages.length === 0) return heading;
  const rows = list.messages.map((m) => [
    m.when ?? "-",
    m.task ?? "-",
    m.id,
    m.reason ?? "-",
    String(m.attempts),
    m.worker ?? "-",
    oneLine(m.error ?? "-", 160),
  ]);
  const lines = table(
    [
      { title: "WHEN" },
      { title: "TASK" },
      { title: "ID" },
      { title: "REASON" },
      { title: "ATTEMPTS", right: true },
      { title: "WORKER" },
      { title: "ERROR" },
    ],
    rows,
  );
  return [heading, ...lines].join("\n");
}
