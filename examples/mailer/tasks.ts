/**
 * The mailer's catalog: what the producer may enqueue and the worker runs. Both import it, so
 * a task name or a payload field that does not exist is a compile-time error on either side.
 *
 * @module
 */
import { z } from "zod";
import { defineCatalog, defineTask } from "warren";
import { deliver, digestMail, LOCALES, welcomeMail } from "./mail.ts";

/** `welcome`: the first mail of a new user, in their language. */
export const welcome = defineTask({
  name: "welcome",
  schema: z.object({
    to: z.email(),
    name: z.string().trim().min(1).max(80),
    locale: z.enum(LOCALES).default("en"),
  }),
  handler: (user, context) => deliver(welcomeMail(user), context),
  // A mail server that is down for a few minutes must not lose a welcome mail: retry for
  // about four minutes (2 s, 4 s, … doubling up to 2 min) before dead-lettering it.
  retries: 6,
  backoff: { base: 2_000, max: 120_000 },
  // A delivery that takes longer than this is stuck; the handler's signal fires.
  timeout: 30_000,
});

/** `digest`: the latest articles, one mail per subscriber. */
export const digest = defineTask({
  name: "digest",
  schema: z.object({
    to: z.email(),
    articles: z.array(z.object({ title: z.string().min(1), url: z.url() })).min(1).max(20),
  }),
  handler: (payload, context) => deliver(digestMail(payload), context),
});

/** The mailer's tasks. */
export const catalog = defineCatalog(welcome, digest);
