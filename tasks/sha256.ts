/**
 * `sha256`: the hex SHA-256 digest of `text` after `rounds` iterations (CPU-heavy).
 *
 * Round 1 hashes the UTF-8 bytes of `text`; each further round hashes the 32 raw bytes of the
 * previous digest. One round is therefore plain `sha256(text)`.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { z } from "zod";
import { defineTask } from "../src/catalog.ts";
import { checkpoint } from "../src/checkpoint.ts";

/** The largest `rounds` accepted. */
export const MAX_ROUNDS = 10_000_000;

/** The payload of `sha256`. */
export const sha256Schema = z.object({
  text: z.string().max(1_000_000).describe("text to hash"),
  rounds: z.int().min(1).max(MAX_ROUNDS).default(1).describe("how many times to hash"),
});

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

/** The `sha256` task. */
export const sha256 = defineTask({
  name: "sha256",
  schema: sha256Schema,
  cpu: true,
  handler: ({ text, rounds }, { signal }) => iteratedSha256(text, rounds, signal),
});
