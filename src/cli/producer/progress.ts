/**
 * Progress bars for long runs on a terminal (done/total, rate, ETA), drawn by `cli-progress`.
 * Nothing is drawn when standard output is not a terminal.
 *
 * @module
 */
import cliProgress from "../../deps/cli_progress.ts";
import process from "node:process";

/** A progress bar, or nothing when standard output is not a terminal. */
export interface Progress {
  /** Whether a bar is drawn (per-item lines would break it). */
  readonly active: boolean;
  /** Sets the count of finished items, and of failed ones among them. */
  update(done: number, failed?: number): void;
  /** Prints a line above the bar. */
  log(line: string): void;
  /** Draws the final state and leaves the bar on screen. */
  stop(): void;
}

/** The least number of items for which a bar is worth drawing. */
export const PROGRESS_THRESHOLD = 200;

const silent: Progress = { active: false, update() {}, log() {}, stop() {} };

/**
 * A bar labelled `label` for `total` items when standard output is a terminal and there are
 * more than {@linkcode PROGRESS_THRESHOLD} items; otherwise a progress that draws nothing.
 */
export function createProgress(label: string, total: number): Progress {
  if (total <= PROGRESS_THRESHOLD || !Deno.stdout.isTerminal()) return silent;
  const bars = new cliProgress.MultiBar({
    format: `${
      label.padEnd(9)
    } [{bar}] {value}/{total} {percentage}% | {rate}/s | ETA {eta_formatted}{failures}`,
    stream: process.stdout,
    hideCursor: true,
    etaBuffer: 50,
    fps: 10,
  }, cliProgress.Presets.shades_classic);
  const bar = bars.create(total, 0, { rate: "0", failures: "" });
  const started = performance.now();
  return {
    active: true,
    update(done, failed = 0) {
      const seconds = (performance.now() - started) / 1000;
      bar.update(done, {
        rate: seconds > 0 ? Math.round(done / seconds).toString() : "0",
        failures: failed > 0 ? ` | ${failed} failed` : "",
      });
    },
    log(line) {
      bars.log(`${line}\n`);
    },
    stop() {
      bars.stop();
    },
  };
}
