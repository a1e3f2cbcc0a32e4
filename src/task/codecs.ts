/**
 * Result schemas for values that JSON cannot carry as they are.
 *
 * @module
 */
import { z } from "../deps/zod.ts";
import type { ZodBigInt, ZodCodec, ZodString } from "../deps/zod.ts";

/** The schema {@linkcode bigintResult} makes: a decimal string on the wire, a bigint in code. */
export type BigintResult = ZodCodec<ZodString, ZodBigInt>;

/**
 * A result schema for a bigint, carried on the wire as a decimal string (exact for any client):
 * the handler returns a bigint, awaiting the result yields a bigint, and a plain client reads
 * the string.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { z } from "zod";
 * import { bigintResult } from "./codecs.ts";
 *
 * const schema = bigintResult();
 * assertEquals(z.encode(schema, 2n ** 64n), "18446744073709551616");
 * assertEquals(z.decode(schema, "-5"), -5n);
 * ```
 */
export function bigintResult(): BigintResult {
  return z.codec(z.string().regex(/^-?\d+$/, "expected a decimal integer"), z.bigint(), {
    decode: (text) => BigInt(text),
    encode: (value) => value.toString(),
  });
}
