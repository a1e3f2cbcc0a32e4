/**
 * Reading the environment under Deno's permissions, with a one-line explanation of the flag to
 * add when a permission is missing.
 *
 * @module
 */
import { PermissionError } from "../../errors/permission_error.ts";
import { permissionAdvice } from "../../util/permissions.ts";

/**
 * The value of environment variable `name`, or `undefined` when unset or empty. Without
 * permission to read it, a {@linkcode PermissionError} names `--allow-env=<name>` and the CLI
 * flag (`alternative`) that makes reading it unnecessary.
 */
export function readEnv(name: string, alternative: string): string | undefined {
  if (!envGranted(name)) {
    throw new PermissionError(
      `Warren reads ${name} from the environment: ${
        permissionAdvice(`--allow-env=${name}`)
      } (or pass ${alternative})`,
    );
  }
  return optionalEnv(name);
}

/** The value of environment variable `name` if `--allow-env` grants it; never asks. */
export function optionalEnv(name: string): string | undefined {
  if (!envGranted(name)) return undefined;
  const value = Deno.env.get(name);
  return value === "" ? undefined : value;
}

function envGranted(name: string): boolean {
  return Deno.permissions.querySync({ name: "env", variable: name }).state === "granted";
}
