/**
 * Reading the environment and files under Deno's permissions, with a one-line explanation of the
 * flag to add when a permission is missing.
 *
 * @module
 */
import { PermissionError } from "./exit.ts";

/** The value of environment variable `name`; asks for `--allow-env` if it may not be read. */
export function readEnv(name: string): string | undefined {
  const state = Deno.permissions.querySync({ name: "env", variable: name }).state;
  if (state !== "granted") {
    throw new PermissionError(
      `Warren reads ${name} from the environment: run with --allow-env=${name} (or give the matching flag)`,
    );
  }
  const value = Deno.env.get(name);
  return value === "" ? undefined : value;
}

/** Turns Deno's "not capable" errors into a {@linkcode PermissionError} naming the flag. */
export function explainPermission(err: unknown, flag: string): unknown {
  return err instanceof Deno.errors.NotCapable
    ? new PermissionError(`Deno denied access: run with ${flag}`, { cause: err })
    : err;
}
