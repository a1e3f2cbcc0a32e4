/**
 * Plain-text tables of the admin tools' results, for people (`--json` prints the objects).
 *
 * @module
 */
import type { DeadLetterList } from "../../admin/dead_letters.ts";
import type { QueueStatus, StatusReport } from "../../admin/status.ts";
import { skippedInWords } from "../../history/skipped.ts";

/** A column: its heading and whether its cells line up on the right (numbers). */
interface Column {
  readonly title: string;
  readonly right?: boolean;
}

/**
 * Characters a terminal may act on rather than show: C0 controls (escape, carriage return,
 * newline, ...), DEL, C1 controls (a lone CSI), line and paragraph separators, and the
 * bidirectional overrides that reorder what is shown.
 */
// deno-lint-ignore no-control-regex -- control characters are what this finds
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** A character as an escape: `\n`, `\t`, `\r`, else `\x1b` or `\u202e`. */
function escapeChar(char: string): string {
  if (char === "\n") return "\\n";
  if (char === "\t") return "\\t";
  if (char === "\r") return "\\r";
  const code = char.charCodeAt(0);
  return code <= 0xff
    ? `\\x${code.toString(16).padStart(2, "0")}`
    : `\\u${code.toString(16).padStart(4, "0")}`;
}

/**
 * `text` with every character a terminal could act on written as an escape (`\x1b`, `\n`,
 * `\u202e`): what a task wrote (its name, its error) is shown, never obeyed.
 *
 * @example
 * ```ts
 * import { printable } from "./format.ts";
 *
 * printable("boom\x1b[2J"); // "boom\\x1b[2J"
 * ```
 */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, escapeChar);
}

/**
 * JSON text (from `JSON.stringify`, which escapes C0 controls already) with DEL, C1 controls,
 * line separators and bidirectional overrides escaped as `\uXXXX` too: the same JSON value,
 * safe on a terminal.
 */
export function printableJson(json: string): string {
  return json.replace(
    /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/**
 * Lays out `rows` under `columns`, two spaces apart; the last column is not padded. Every cell
 * is made {@linkcode printable}.
 */
export function table(columns: readonly Column[], rows: readonly (readonly string[])[]): string[] {
  rows = rows.map((row) => row.map((cell) => printable(String(cell))));
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

/**
 * What the last column says of Warren's streams (their READY is the messages they keep) and of
 * the join queue.
 */
const STREAM_NOTES: Partial<Record<QueueStatus["role"], string>> = {
  events: "(stream: task history)",
  control: "(stream: cancels)",
  join: "(workflows' joins)",
};

/** Bytes as `1 GB`, `200 MB`, `512 kB` or `100 B`. */
function bytesText(bytes: number): string {
  for (const [unit, size] of [["GB", 1e9], ["MB", 1e6], ["kB", 1e3]] as const) {
    if (bytes >= size) return `${Number((bytes / size).toFixed(1))} ${unit}`;
  }
  return `${bytes} B`;
}

/** The last column of a stream: what it is, and what it keeps when the source tells. */
function streamNote(q: QueueStatus): string {
  const note = STREAM_NOTES[q.role];
  if (note === undefined || q.retention === undefined) return note ?? "";
  const { maxAge, maxBytes } = q.retention;
  const age = maxAge === null ? "no age limit" : `max age ${printable(maxAge)}`;
  const size = maxBytes === null ? "no size limit" : `max ${bytesText(maxBytes)}`;
  return `${note.slice(0, -1)}; ${age}, ${size})`;
}

/** Whether a queue is a delay queue that holds nothing and nobody reads (the table leaves it out). */
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
        streamNote(q),
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
  const streams = (report.streams ?? []).map((check) =>
    printable(
      `${check.name}: ${check.read} message(s) read since ${check.since}${
        check.capped ? " (stopped before its end: 200000 messages or 10 s)" : ""
      }, ${skippedInWords(check.skipped)}${
        check.skipped.count > 0 ? ": readers skip these and go on" : ""
      }`,
    )
  );
  const kept = report.queues.some((q) => q.exists && (q.role === "events" || q.role === "control"))
    ? [
      `a stream's READY is every message it keeps, the markers its readers append to find its end included${
        streams.length > 0 ? "; the lines below count messages without them" : ""
      }`,
    ]
    : [];
  return [
    `Queue '${report.queue}' at ${report.at}, from the ${describeSource(report)}`,
    ...lines,
    ...delayed,
    ...hidden,
    ...streams,
    ...kept.map((note) => `note: ${note}`),
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
  const heading = printable(
    `${list.queue}: ${list.total} dead letter(s); showing ${list.messages.length}, all left in the queue`,
  );
  if (list.messages.length === 0) return heading;
  const rows = list.messages.map((m) => [
    m.when ?? "-",
    oneLine(m.task ?? "-", 80),
    oneLine(m.id, 80),
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
