/**
 * The part of `@std/assert` that Warren's tests use, built on `node:assert/strict`.
 *
 * JSR packages cannot be downloaded where Warren is developed, so `deno.json` maps
 * `@std/assert` to this file. To use the real package, change that one line of the import map
 * to `"@std/assert": "jsr:@std/assert@^1"`; the tests need no other change.
 *
 * @module
 */
import nodeAssert from "node:assert/strict";

/** Thrown when an assertion fails. */
export class AssertionError extends Error {
  /** Creates an assertion error with the given message. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "AssertionError";
  }
}

function rethrow(err: unknown, msg?: string): never {
  const text = err instanceof Error ? err.message : String(err);
  throw new AssertionError(msg ? `${msg}: ${text}` : text, { cause: err });
}

/** Asserts that `expr` is truthy. */
export function assert(expr: unknown, msg = ""): asserts expr {
  if (!expr) throw new AssertionError(msg || "Expected the expression to be truthy");
}

/** Asserts that `actual` and `expected` are deeply equal. */
export function assertEquals<T>(actual: T, expected: T, msg?: string): void {
  try {
    nodeAssert.deepStrictEqual(actual, expected);
  } catch (err) {
    rethrow(err, msg);
  }
}

/** Asserts that `actual` and `expected` are not deeply equal. */
export function assertNotEquals<T>(actual: T, expected: T, msg?: string): void {
  try {
    nodeAssert.notDeepStrictEqual(actual, expected);
  } catch (err) {
    rethrow(err, msg);
  }
}

/** Asserts that `actual` is strictly equal (`Object.is`) to `expected`. */
export function assertStrictEquals<T>(
  actual: unknown,
  expected: T,
  msg?: string,
): asserts actual is T {
  try {
    nodeAssert.strictEqual(actual, expected);
  } catch (err) {
    rethrow(err, msg);
  }
}

/** Asserts that `actual` is neither `null` nor `undefined`. */
export function assertExists<T>(actual: T, msg?: string): asserts actual is NonNullable<T> {
  if (actual === undefined || actual === null) {
    throw new AssertionError(msg ?? `Expected a value, got ${actual}`);
  }
}

/** Asserts that `actual` includes the string `expected`. */
export function assertStringIncludes(actual: string, expected: string, msg?: string): void {
  if (!actual.includes(expected)) {
    throw new AssertionError(
      msg ?? `Expected ${JSON.stringify(actual)} to include ${JSON.stringify(expected)}`,
    );
  }
}

/** Asserts that `actual` matches the regular expression `expected`. */
export function assertMatch(actual: string, expected: RegExp, msg?: string): void {
  try {
    nodeAssert.match(actual, expected);
  } catch (err) {
    rethrow(err, msg);
  }
}

/** Asserts that `actual` is greater than or equal to `expected`. */
export function assertGreaterOrEqual<T>(actual: T, expected: T, msg?: string): void {
  if (!(actual >= expected)) {
    throw new AssertionError(
      msg ?? `Expected ${actual} to be greater than or equal to ${expected}`,
    );
  }
}

/** Asserts that `actual` is less than or equal to `expected`. */
export function assertLessOrEqual<T>(actual: T, expected: T, msg?: string): void {
  if (!(actual <= expected)) {
    throw new AssertionError(msg ?? `Expected ${actual} to be less than or equal to ${expected}`);
  }
}

/** Asserts that `value` is an instance of `type`. */
export function assertInstanceOf<T extends abstract new (...args: never[]) => unknown>(
  value: unknown,
  type: T,
  msg?: string,
): asserts value is InstanceType<T> {
  if (!(value instanceof type)) {
    throw new AssertionError(msg ?? `Expected an instance of ${type.name}, got ${String(value)}`);
  }
}

type ErrorClass<E extends Error> = abstract new (...args: never[]) => E;

function checkError<E extends Error>(
  err: unknown,
  type?: ErrorClass<E>,
  includes?: string,
): E {
  if (type && !(err instanceof type)) {
    throw new AssertionError(
      `Expected an error of class ${type.name}, got ${
        err instanceof Error ? err.name : String(err)
      }`,
      { cause: err },
    );
  }
  if (!(err instanceof Error)) throw new AssertionError(`Expected an Error, got ${String(err)}`);
  if (includes !== undefined && !err.message.includes(includes)) {
    throw new AssertionError(
      `Expected the error message to include ${JSON.stringify(includes)}, got ${
        JSON.stringify(err.message)
      }`,
      { cause: err },
    );
  }
  return err as E;
}

/** Asserts that `fn` throws, optionally an instance of `type` whose message includes `includes`. */
export function assertThrows<E extends Error = Error>(
  fn: () => unknown,
  type?: ErrorClass<E>,
  includes?: string,
): E {
  try {
    fn();
  } catch (err) {
    return checkError(err, type, includes);
  }
  throw new AssertionError("Expected the function to throw");
}

/** Asserts that `fn` rejects, optionally with an instance of `type` whose message includes `includes`. */
export async function assertRejects<E extends Error = Error>(
  fn: () => PromiseLike<unknown>,
  type?: ErrorClass<E>,
  includes?: string,
): Promise<E> {
  try {
    await fn();
  } catch (err) {
    return checkError(err, type, includes);
  }
  throw new AssertionError("Expected the function to reject");
}
