/**
 * Set before playwright-core loads (see `browser.ts`): tells its is-wsl check the answer, so it
 * does not read /proc/version.
 *
 * @module
 */
Deno.env.set("__IS_WSL_TEST__", "1");
