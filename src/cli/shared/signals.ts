/**
 * Listening for the signals that ask a CLI to stop: SIGINT and SIGTERM (SIGINT only on Windows).
 *
 * @module
 */
export { onStopSignals } from "../../util/signals.ts";
