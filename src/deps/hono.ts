/**
 * hono, the dashboard's HTTP framework (see `zod.ts` for why the specifier is written out here).
 *
 * @module
 */
export { Hono } from "npm:hono@^4.13";
export type { Context, MiddlewareHandler } from "npm:hono@^4.13";
export { streamSSE } from "npm:hono@^4.13/streaming";
export { bodyLimit } from "npm:hono@^4.13/body-limit";
