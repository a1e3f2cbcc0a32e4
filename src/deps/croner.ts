/**
 * croner, for cron expressions (see `zod.ts` for why the specifier is written out here).
 *
 * @module
 */
export { Cron } from "npm:croner@^11";
