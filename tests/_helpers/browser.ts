/**
 * A real browser for the dashboard's tests: Debian's Chromium (`/usr/bin/chromium`), headless,
 * driven by playwright-core, which downloads no browser of its own.
 *
 * @module
 */
// playwright-core reads this at import time to skip a probe of /proc that Deno allows only
// with --allow-all (is-wsl); it must be set before the import below is evaluated.
import "./browser_env.ts";
import { type Browser, chromium } from "npm:playwright-core@^1.65.1";

/** Where Debian installs Chromium. */
export const CHROMIUM = "/usr/bin/chromium";

/** Whether Chromium is installed, so a test can say why it does not run. */
export async function chromiumInstalled(): Promise<boolean> {
  try {
    return (await Deno.stat(CHROMIUM)).isFile;
  } catch {
    return false;
  }
}

/** Launches headless Chromium; close it with `await using`. */
export async function launchBrowser(): Promise<Browser & AsyncDisposable> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  return Object.assign(browser, { [Symbol.asyncDispose]: () => browser.close() });
}
