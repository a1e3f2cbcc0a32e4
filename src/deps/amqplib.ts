/**
 * amqplib, for Warren's own modules (see `zod.ts` for why the specifier is written out here).
 * Keep the version range in step with `deno.json`'s `amqplib` entry.
 *
 * @module
 */
export { default } from "npm:amqplib@^2";
export type * from "npm:amqplib@^2";
