/**
 * The mailer's contracts: what the producer may enqueue and what the worker runs, and what each
 * task returns. Both sides import this file, and it holds no mail code, so a producer (a web
 * application's signup handler, say) loads nothing that sends mail.
 *
 * @module
 */
import { z } from "zod";
import { defineCatalog, defineTask } from "warren";

/** The languages mails are written in. */
export const LOCALES = ["en", "fr"] as const;

/** A language mails are written in. */
export type Locale = typeof LOCALES[number];

/** What delivering a mail produced: the result of both tasks. */
export const sentSchema = z.object({
  /** The Message-ID, derived from the task's id so that a retry sends the same mail. */
  messageId: z.string(),
  /** The recipient's address. */
  to: z.email(),
  /** The subject line. */
  subject: z.string(),
  /** Size of the body in bytes. */
  bytes: z.int().min(0),
});

/** `welcome`: the first mail of a new user, in their language. */
export const welcome = defineTask({
  name: "welcome",
  schema: z.object({
    to: z.email(),
    name: z.string().trim().min(1).max(80),
    locale: z.enum(LOCALES).default("en"),
  }),
  result: sentSchema,
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
  result: sentSchema,
});

/** The mailer's tasks. */
export const catalog = defineCatalog(welcome, digest);
