/**
 * Which dead letters a command concerns: the same filters for listing and for replaying.
 *
 * @module
 */
import { ConfigError } from "../errors/config_error.ts";
import { DEAD_REASONS, isDeadReason } from "../wire/dead_reasons.ts";
import type { DeadLetter } from "./dead_letters.ts";

/** Which dead letters; every field given must match. */
export interface DeadLetterFilter {
  /**
   * Only dead letters of this task.
   * @default {any task}
   */
  task?: string;
  /**
   * Only the dead letter with this message id.
   * @default {any id}
   */
  id?: string;
  /**
   * Only dead letters given up for this reason (`failed`, `invalid-payload`, …; see
   * `DEAD_REASONS`).
   * @default {any reason}
   */
  reason?: string;
}

/** Checks a filter: an unknown reason is a `ConfigError` listing the reasons that exist. */
export function checkFilter(filter: DeadLetterFilter): DeadLetterFilter {
  if (filter.reason !== undefined && !isDeadReason(filter.reason)) {
    throw new ConfigError(
      `Cannot filter dead letters by reason '${filter.reason}': the reasons are ${
        DEAD_REASONS.join(", ")
      }`,
    );
  }
  return filter;
}

/** Whether `letter` matches every field of `filter`. */
export function matchesFilter(letter: DeadLetter, filter: DeadLetterFilter): boolean {
  return (filter.task === undefined || letter.task === filter.task) &&
    (filter.id === undefined || letter.id === filter.id) &&
    (filter.reason === undefined || letter.reason === filter.reason);
}

/** The filter in words: `the dead letters of task 'sum' with reason 'failed'`. */
export function describeFilter(filter: DeadLetterFilter): string {
  const parts = [
    filter.task === undefined ? "" : `of task '${filter.task}'`,
    filter.reason === undefined ? "" : `with reason '${filter.reason}'`,
    filter.id === undefined ? "" : `with id '${filter.id}'`,
  ].filter(Boolean);
  return parts.length === 0 ? "every dead letter" : `the dead letters ${parts.join(" ")}`;
}
