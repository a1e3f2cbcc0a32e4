/**
 * Deno's permissions, explained: a denied permission becomes a {@linkcode PermissionError} whose
 * one-line message names the flag to add (or, in a compiled binary, says that it must be built
 * with that permission).
 *
 * @module
 */
import { PermissionError } from "../errors/permission_error.ts";

/**
 * What to do about a missing permission `flag` (e.g. `--allow-net=localhost:5672`): add the
 * flag, or, in a binary made by `deno compile`, rebuild it (`rebuild` says how, if it can).
 */
export function permissionAdvice(flag: string, rebuild?: string): string {
  if (!Deno.build.standalone) return `run with ${flag}`;
  return `this binary was compiled without ${flag}: ${
    rebuild ?? "compile it again with that flag"
  }`;
}

/** Deno's "not capable" error as a {@linkcode PermissionError} naming `flag`; others unchanged. */
export function explainPermission(err: unknown, flag: string, what: string): unknown {
  return err instanceof Deno.errors.NotCapable
    ? new PermissionError(`Deno denied ${what}: ${permissionAdvice(flag)}`, { cause: err })
    : err;
}
