/**
 * zod, for Warren's own modules. Warren names its dependencies by full specifier here, once,
 * rather than through its `deno.json` import map, so that a project that imports `mod.ts` by
 * path or URL needs no entry for them in its own configuration. Keep the version range in step
 * with `deno.json`'s `zod` entry.
 *
 * @module
 */
export * from "npm:zod@^4";
