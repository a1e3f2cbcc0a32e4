/**
 * `parseArgs` with `@std/cli`'s options, for the CLIs. JSR does not resolve where Warren is
 * developed, so `compat/std_parse_args.ts` stands in for `jsr:@std/cli/parse-args`; to switch
 * back, point this line (and `deno.json`'s `@std/cli/parse-args` entry) at
 * `jsr:@std/cli@^1/parse-args`.
 *
 * @module
 */
export { parseArgs } from "../../compat/std_parse_args.ts";
