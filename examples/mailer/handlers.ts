/**
 * The mailer's handlers, bound to its contracts: only the worker imports this file (and, with
 * `--threads`, its threads).
 *
 * @module
 */
import { defineHandlers } from "warren";
import { deliver, digestMail, welcomeMail } from "./mail.ts";
import { catalog } from "./tasks.ts";

/** One handler per task: render the mail, deliver it. */
export const handlers = defineHandlers(catalog, {
  welcome: (user, context) => deliver(welcomeMail(user), context),
  digest: (payload, context) => deliver(digestMail(payload), context),
});
