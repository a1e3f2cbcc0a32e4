/**
 * The mails themselves: rendering them, and a transport that delivers them.
 *
 * @module
 */
import type { TaskContext } from "warren";
import type { z } from "zod";
import type { Locale, sentSchema } from "./tasks.ts";

/** The sender of every mail. */
export const FROM = "Acme <hello@acme.example>";

/** A mail, ready to send. */
export interface Mail {
  /** The sender. */
  readonly from: string;
  /** The recipient's address. */
  readonly to: string;
  /** The subject line. */
  readonly subject: string;
  /** The plain-text body. */
  readonly text: string;
}

/** What delivering a mail produced: the task's result. */
export type Sent = z.output<typeof sentSchema>;

/** The welcome mail of a new user. */
export function welcomeMail(user: { to: string; name: string; locale: Locale }): Mail {
  const { to, name, locale } = user;
  return locale === "fr"
    ? {
      from: FROM,
      to,
      subject: `Bienvenue chez Acme, ${name} !`,
      text: `Bonjour ${name},\n\nVotre compte est prêt. À bientôt !\n\nL'équipe Acme`,
    }
    : {
      from: FROM,
      to,
      subject: `Welcome to Acme, ${name}!`,
      text: `Hello ${name},\n\nYour account is ready. See you soon!\n\nThe Acme team`,
    };
}

/** A digest of articles. */
export function digestMail(digest: {
  to: string;
  articles: ReadonlyArray<{ title: string; url: string }>;
}): Mail {
  const { to, articles } = digest;
  const count = articles.length;
  return {
    from: FROM,
    to,
    subject: `Your Acme digest: ${count} new article${count === 1 ? "" : "s"}`,
    text: articles.map((a, i) => `${i + 1}. ${a.title}\n   ${a.url}`).join("\n\n"),
  };
}

/**
 * Delivers a mail. This example has no mail server, so it logs the mail on the worker's log
 * (`mail.sent`) instead of sending it. In a real service, call your provider here (an SMTP
 * client, or an HTTP API) with `context.signal`, so that a stuck call stops at the task's time
 * limit, and with the task's id as the idempotency key, since a task may run twice.
 */
export function deliver(mail: Mail, context: TaskContext): Promise<Sent> {
  context.signal.throwIfAborted();
  const messageId = `<${context.id}@acme.example>`;
  const bytes = new TextEncoder().encode(mail.text).length;
  context.log.info("mail.sent", { to: mail.to, subject: mail.subject, messageId, bytes });
  return Promise.resolve({ messageId, to: mail.to, subject: mail.subject, bytes });
}
