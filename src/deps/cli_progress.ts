/**
 * cli-progress, for the producer CLI's progress bar (see `zod.ts` for why the specifier is
 * written out here).
 *
 * @module
 */
// @ts-types="npm:@types/cli-progress@^3.11"
import cliProgress from "npm:cli-progress@^3.12";

export default cliProgress;
