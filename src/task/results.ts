/**
 * Results on the wire: the worker encodes what a handler returned with the task's result
 * schema (a codec turns a bigint into a string, say), and the producer decodes it back.
 *
 * @module
 */
import { z } from "../deps/zod.ts";
import { ValidationError } from "../errors/validation_error.ts";
import type { AnyContract } from "./contract.ts";
import { toIssues } from "./validation.ts";

/**
 * The wire form of `value`, a result of `contract`'s handler; throws a
 * {@linkcode ValidationError} when the result schema refuses it.
 */
export function encodeResult(contract: AnyContract, value: unknown): unknown {
  const encoded = z.safeEncode(contract.result, value);
  if (encoded.success) return encoded.data;
  throw new ValidationError(contract.name, toIssues(encoded.error.issues), {
    what: `The handler of task '${contract.name}' returned a result its result schema refuses`,
  });
}

/**
 * The value that `wire`, a result of `contract` as it came over the wire, stands for; throws a
 * {@linkcode ValidationError} when the result schema refuses it (a worker built from another
 * version of the contract, say).
 */
export function decodeResult(contract: AnyContract, wire: unknown): unknown {
  const decoded = z.safeDecode(contract.result, wire);
  if (decoded.success) return decoded.data;
  throw new ValidationError(contract.name, toIssues(decoded.error.issues), {
    what: `The result of task '${contract.name}' does not match its result schema`,
  });
}
