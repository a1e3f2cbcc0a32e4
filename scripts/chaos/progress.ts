/**
 * The progress of `deno task chaos`: on a terminal, one line on standard error redrawn in place
 * (a bar of settled tasks, then confirmed, restarts, kills, the broker's state, elapsed time);
 * elsewhere, a plain line every 10 seconds. Notes (faults, phases) are printed above it.
 *
 * @module
 */
import type { ChaosProgress } from "../../tests/_helpers/chaos/run.ts";

const encoder = new TextEncoder();
const BAR_WIDTH = 24;
/** How often a progress line is printed when standard error is not a terminal, ms. */
const PLAIN_EVERY_MS = 10_000;

/** Draws progress and notes on standard error. */
export class ProgressLine {
  readonly #terminal = Deno.stderr.isTerminal();
  #drawn = false;
  #lastPlain = 0;
  #last: ChaosProgress | undefined;

  /** Shows `progress`. */
  update(progress: ChaosProgress): void {
    this.#last = progress;
    if (this.#terminal) {
      this.#write(`\r\x1b[2K${describe(progress, true)}`);
      this.#drawn = true;
    } else if (progress.elapsedMs - this.#lastPlain >= PLAIN_EVERY_MS) {
      this.#lastPlain = progress.elapsedMs;
      this.#write(`${describe(progress, false)}\n`);
    }
  }

  /** Prints `line` above the progress line. */
  note(line: string): void {
    if (this.#terminal && this.#drawn) this.#write("\r\x1b[2K");
    this.#write(`${line}\n`);
    if (this.#terminal && this.#last) this.#write(describe(this.#last, true));
  }

  /** Ends the progress line (the last state stays on screen). */
  stop(): void {
    if (this.#terminal && this.#drawn) this.#write("\n");
    this.#drawn = false;
  }

  #write(text: string): void {
    Deno.stderr.writeSync(encoder.encode(text));
  }
}

/** `[######----] 1200/4012 settled | 4012 confirmed | restarts 1/4 | kills 3/20 | broker up | 42 s`. */
export function describe(progress: ChaosProgress, bar: boolean): string {
  const share = progress.total === 0 ? 0 : Math.min(1, progress.settled / progress.total);
  const filled = Math.round(share * BAR_WIDTH);
  const drawn = bar ? `[${"#".repeat(filled)}${"-".repeat(BAR_WIDTH - filled)}] ` : "";
  return `${drawn}${progress.phase.padEnd(8)} ${progress.settled}/${progress.total} settled | ` +
    `${progress.confirmed} confirmed | restarts ${progress.restarts[0]}/${
      progress.restarts[1]
    } | ` +
    `kills ${progress.kills[0]}/${progress.kills[1]} | broker ${
      progress.brokerUp ? "up" : "DOWN"
    } | ${Math.round(progress.elapsedMs / 1000)} s`;
}
