/**
 * Confirmation of destructive actions: `--yes` says yes up front; otherwise the person at the
 * terminal must type `yes`. Without a terminal on standard input there is nobody to ask, and the
 * action is refused.
 *
 * @module
 */

/** Where the question is asked and the answer read. */
export interface ConfirmIo {
  /** Whether standard input is a terminal (someone can answer). */
  readonly isTerminal: boolean;
  /** Writes the question (no newline is added). */
  write(text: string): void;
  /** Reads one line of the answer, without its newline; `null` at end of input. */
  readLine(): Promise<string | null>;
}

/** How a confirmation ended. */
export type ConfirmOutcome = "confirmed" | "declined" | "cannot-ask";

/** Options of {@linkcode confirmAction}. */
export interface ConfirmOptions {
  /**
   * Confirmed up front (`--yes`): nothing is asked.
   * @default {false}
   */
  yes?: boolean;
  /**
   * Where to ask.
   * @default {terminalIo()}
   */
  io?: ConfirmIo;
}

/**
 * Asks `Type yes to <action>: ` and waits for the answer. Resolves to `confirmed` for `--yes` or
 * the answer `yes`, `declined` for any other answer (or end of input), and `cannot-ask` when
 * standard input is not a terminal.
 *
 * @example
 * ```ts
 * import { confirmAction } from "./confirm.ts";
 *
 * const io = { isTerminal: true, write: () => {}, readLine: () => Promise.resolve("yes") };
 * await confirmAction("purge 12 messages from task_queue.dead", { io }); // "confirmed"
 * ```
 */
export async function confirmAction(
  action: string,
  options: ConfirmOptions = {},
): Promise<ConfirmOutcome> {
  if (options.yes) return "confirmed";
  const io = options.io ?? terminalIo();
  if (!io.isTerminal) return "cannot-ask";
  io.write(`Type yes to ${action}: `);
  const answer = await io.readLine();
  return answer?.trim() === "yes" ? "confirmed" : "declined";
}

/** Asks on standard error and reads standard input. */
export function terminalIo(): ConfirmIo {
  return {
    isTerminal: Deno.stdin.isTerminal(),
    write: (text) => Deno.stderr.writeSync(new TextEncoder().encode(text)),
    readLine: () => readLine(Deno.stdin),
  };
}

/** Reads from `reader` up to the first newline (kept out) or the end of input. */
export async function readLine(
  reader: { read(buffer: Uint8Array): Promise<number | null> },
): Promise<string | null> {
  const decoder = new TextDecoder();
  const buffer = new Uint8Array(1);
  let line = "";
  let any = false;
  // One byte at a time: nothing after the newline is taken from the input.
  for (;;) {
    const n = await reader.read(buffer);
    if (n === null) return any ? line : null;
    if (n === 0) continue;
    any = true;
    if (buffer[0] === 0x0a) return line.replace(/\r$/, "");
    line += decoder.decode(buffer, { stream: true });
  }
}
