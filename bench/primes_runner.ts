/**
 * Runs `count` prime counts up to `limit` back to back, with no broker, and prints the epoch
 * milliseconds of the first start and the last end as JSON: the CPU section's ceiling of what
 * processes in parallel can reach on this machine.
 *
 * Usage: primes_runner.ts <limit> <count>
 *
 * @module
 */
import { countPrimes } from "../tasks/handlers/primes.ts";
import { epochMs } from "./workload.ts";

const [limitText, countText] = Deno.args;
const limit = Number(limitText);
const count = Number(countText);
if (!(limit >= 2) || !(count >= 1)) {
  console.error("usage: primes_runner.ts <limit> <count>");
  Deno.exit(2);
}
await countPrimes(1_000_000); // warm up the JIT, as a worker is warm after its first task
const start = epochMs();
for (let i = 0; i < count; i++) await countPrimes(limit);
console.log(JSON.stringify({ start, end: epochMs() }));
