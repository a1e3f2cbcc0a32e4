/**
 * Output that refreshes: on a terminal each new text replaces the previous one in place (cursor
 * up, clear to the end of the screen); elsewhere each text is simply printed after the last.
 *
 * @module
 */

/** Options of {@linkcode LiveView}. */
export interface LiveViewOptions {
  /** Whether to rewrite in place (stdout is a terminal). */
  readonly inPlace: boolean;
  /** Writes text as it is (no newline added). */
  readonly write: (text: string) => void;
  /**
   * Columns of the terminal, to count lines that wrap.
   * @default {() => 80}
   */
  readonly columns?: () => number;
}

const ESC = "\x1b[";

/** Prints successive texts, each replacing the last one on a terminal. */
export class LiveView {
  readonly #options: LiveViewOptions;
  #lines = 0;

  /** Creates a view writing through `options.write`. */
  constructor(options: LiveViewOptions) {
    this.#options = options;
  }

  /** Shows `text` (without a final newline), in place of the previous text on a terminal. */
  show(text: string): void {
    const { inPlace, write } = this.#options;
    if (!inPlace) {
      write(`${text}\n`);
      return;
    }
    // Back to the first line of the previous text, then clear everything below.
    const back = this.#lines > 0 ? `${ESC}${this.#lines}A\r${ESC}J` : "";
    write(`${back}${text}\n`);
    const columns = Math.max(1, this.#options.columns?.() ?? 80);
    this.#lines = text.split("\n").reduce(
      (sum, line) => sum + Math.max(1, Math.ceil(line.length / columns)),
      0,
    );
  }
}
