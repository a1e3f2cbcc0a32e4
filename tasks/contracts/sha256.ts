/**
 * The contract of `sha256`: the hex SHA-256 digest of `text` after `rounds` iterations
 * (CPU-heavy). Round 1 hashes the UTF-8 bytes of `text`; each further round hashes the 32 raw
 * bytes of the previous digest, so one round is plain `sha256(text)`.
 *
 * @module
 */
import { z } from "zod";
import { defineTask } from "../../src/task/contract.ts";

/** The largest `rounds` accepted. */
export const MAX_ROUNDS = 10_000_000;

/** The payload of `sha256`. */
export const sha256Schema = z.object({
  text: z.string().max(1_000_000).describe("text to hash"),
  rounds: z.int().min(1).max(MAX_ROUNDS).default(1).describe("how many times to hash"),
});

/** The `sha256` task. */
export const sha256 = defineTask({
  name: "sha256",
  schema: sha256Schema,
  result: z.string().regex(/^[0-9a-f]{64}$/),
  cpu: true,
});
