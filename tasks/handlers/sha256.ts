/**
 * The handler of `sha256`: iterated hashing that yields to the event loop every few
 * milliseconds, so that its signal can stop it.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { checkpoint } from "../../src/task/checkpoint.ts";

const ROUNDS_PER_SLICE = 20_000;

/** The hex digest of `text` hashed `rounds` times; checks `signal` every few milliseconds. */
export async function iteratedSha256(
  text: string,
  rounds: number,
  signal?: AbortSignal,
): Promise<string> {
  let digest = createHash("sha256").update(text, "utf8").digest();
  for (let round = 2; round <= rounds; round++) {
    digest = createHash("sha256").update(digest).digest();
    if (round % ROUNDS_PER_SLICE === 0) await checkpoint(signal);
  }
  return digest.toString("hex");
}
