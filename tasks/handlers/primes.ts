/**
 * The handler of `primes`: a segmented sieve of Eratosthenes over odd numbers. Memory stays
 * small (one 256 KiB segment) and the handler yields to the event loop between segments, so
 * heartbeats flow and the time limit can stop it.
 *
 * @module
 */
import { checkpoint } from "../../src/task/checkpoint.ts";

const SEGMENT = 1 << 18; // odd numbers per segment

/** Counts the primes `<= limit`; checks `signal` between segments. */
export async function countPrimes(limit: number, signal?: AbortSignal): Promise<number> {
  if (limit < 2) return 0;
  const root = Math.floor(Math.sqrt(limit));
  const base: number[] = [];
  const small = new Uint8Array(root + 1);
  for (let i = 3; i <= root; i += 2) {
    if (small[i]) continue;
    base.push(i);
    for (let j = i * i; j <= root; j += 2 * i) small[j] = 1;
  }
  // Index k of the sieve stands for the odd number 2k + 1; k runs from 1 (3) to last.
  const last = Math.floor((limit - 1) / 2);
  const segment = new Uint8Array(SEGMENT);
  let count = 1; // the prime 2
  for (let lo = 1; lo <= last; lo += SEGMENT) {
    const size = Math.min(SEGMENT, last - lo + 1);
    const low = 2 * lo + 1;
    const high = 2 * (lo + size - 1) + 1;
    segment.fill(0, 0, size);
    for (const p of base) {
      const square = p * p;
      if (square > high) break;
      let first = square >= low ? square : Math.ceil(low / p) * p;
      if (first % 2 === 0) first += p;
      for (let k = (first - 1) / 2 - lo; k < size; k += p) segment[k] = 1;
    }
    for (let k = 0; k < size; k++) count += 1 - segment[k]!;
    await checkpoint(signal);
  }
  return count;
}
