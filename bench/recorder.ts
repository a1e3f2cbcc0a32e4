/**
 * The consumer side of the measurement, shared by the plain and the Warren consumer: latency at
 * handler start, count and time at handler end, a checksum of the results, progress lines on
 * stderr and a final report.
 *
 * @module
 */
import { type ConsumerLine, formatLine } from "./protocol.ts";
import { cpuMs, epochMs } from "./workload.ts";

const encoder = new TextEncoder();

function writeStderr(message: ConsumerLine): void {
  const bytes = encoder.encode(formatLine(message));
  for (let done = 0; done < bytes.length;) done += Deno.stderr.writeSync(bytes.subarray(done));
}

/** Records what one consumer process handles and reports it to the orchestrator. */
export class Recorder {
  readonly #latencies: number[] = [];
  readonly #handledAt: number[] = [];
  #count = 0;
  #first = 0;
  #last = 0;
  #checksum = 0n;
  #cpuAtFirst: number | undefined;
  #reported = -1;
  #timer: ReturnType<typeof setInterval> | undefined;

  /** A handler starts on a task sent at `sentAt` (epoch ms). */
  started(sentAt: number): void {
    this.#cpuAtFirst ??= cpuMs();
    this.#latencies.push(epochMs() - sentAt);
  }

  /** A handler finished with `result`. */
  handled(result: bigint): void {
    const now = epochMs();
    if (this.#count++ === 0) this.#first = now;
    this.#last = now;
    this.#handledAt.push(now);
    this.#checksum += result;
  }

  /** Writes a progress line every `intervalMs` while the count changes. */
  startReporting(intervalMs = 50): void {
    this.#timer ??= setInterval(() => this.#progress(), intervalMs);
  }

  #progress(): void {
    if (this.#count === this.#reported) return;
    this.#reported = this.#count;
    writeStderr({ type: "progress", count: this.#count, last: this.#last });
  }

  /** Stops the progress lines and writes the final report. */
  finish(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    writeStderr({
      type: "final",
      count: this.#count,
      first: this.#first,
      last: this.#last,
      cpuMs: this.#cpuAtFirst === undefined ? 0 : cpuMs() - this.#cpuAtFirst,
      checksum: this.#checksum.toString(),
      latencies: this.#latencies.map((ms) => Math.round(ms * 1000) / 1000),
      handledAt: this.#handledAt.map((ms) => Math.round(ms * 100) / 100),
    });
  }
}
