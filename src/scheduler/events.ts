/**
 * What a scheduler reports: taking and losing the lead, each fire, and fires it missed.
 *
 * @module
 */
import type { MissedPolicy } from "./schedule.ts";

/** This replica became the active scheduler. */
export interface SchedulerLeading {
  /** The event's name. */
  readonly event: "scheduler.leading";
  /** The scheduler's id. */
  readonly scheduler: string;
}

/** This replica is no longer active (its connection was lost, or it closed). */
export interface SchedulerFollowing {
  /** The event's name. */
  readonly event: "scheduler.following";
  /** The scheduler's id. */
  readonly scheduler: string;
  /** Why. */
  readonly reason: string;
}

/** The scheduler closed. */
export interface SchedulerStopped {
  /** The event's name. */
  readonly event: "scheduler.stopped";
  /** The scheduler's id. */
  readonly scheduler: string;
}

/** A schedule fired: its task was enqueued (confirmed). */
export interface ScheduleFired {
  /** The event's name. */
  readonly event: "schedule.fired";
  /** The schedule's name. */
  readonly schedule: string;
  /** The task enqueued. */
  readonly task: string;
  /** The fire's id, `<schedule>@<fire time>`: the task's message id. */
  readonly id: string;
  /** Milliseconds between the fire time and the confirm. */
  readonly late: number;
}

/** A new leader found fires of a schedule that nobody made. */
export interface ScheduleMissed {
  /** The event's name. */
  readonly event: "schedule.missed";
  /** The schedule's name. */
  readonly schedule: string;
  /** How many fire times were missed. */
  readonly count: number;
  /** What is done about them: `skip`, or `once` (the latest is fired now). */
  readonly policy: MissedPolicy;
  /** The latest missed fire time (ISO 8601). */
  readonly latest: string;
}

/** Any event a scheduler reports. */
export type SchedulerEvent =
  | SchedulerLeading
  | SchedulerFollowing
  | SchedulerStopped
  | ScheduleFired
  | ScheduleMissed;
