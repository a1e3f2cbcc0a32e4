/**
 * What a scheduler reports: standing by, taking, handing over and losing the lead, each fire,
 * fires the broker refused, and fires it missed.
 *
 * @module
 */
import type { GapKind } from "./fire_plan.ts";
import type { MissedPolicy } from "./schedule.ts";

/** This replica became the active scheduler. */
export interface SchedulerLeading {
  /** The event's name. */
  readonly event: "scheduler.leading";
  /** The scheduler's id. */
  readonly scheduler: string;
}

/** This replica stands by: another one leads. */
export interface SchedulerStandby {
  /** The event's name. */
  readonly event: "scheduler.standby";
  /** The scheduler's id. */
  readonly scheduler: string;
  /** The id of the one that leads, as the state says (`null` when the state names none). */
  readonly leader: string | null;
}

/** This replica, told to stop, handed the lead over: the state records it, a standby was woken. */
export interface SchedulerHandover {
  /** The event's name. */
  readonly event: "scheduler.handover";
  /** The scheduler's id. */
  readonly scheduler: string;
  /** The last fire of each schedule (ISO 8601), as recorded for the next leader. */
  readonly lastFires: Readonly<Record<string, string>>;
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
  /** How many times it was published (more than 1 after the broker refused it). */
  readonly attempts: number;
}

/** The broker refused a fire (returned it as unroutable, or nacked it): it is tried again. */
export interface ScheduleRefused {
  /** The event's name. */
  readonly event: "schedule.refused";
  /** The schedule's name. */
  readonly schedule: string;
  /** The fire's id; the next try publishes the same id. */
  readonly id: string;
  /**
   * `unroutable` (no queue of that name: deleted?), `nacked`, or `too-large` / `invalid` (it
   * cannot be sent as it is).
   */
  readonly reason: string;
  /** How many times it was tried. */
  readonly attempts: number;
  /** Milliseconds until the next try. */
  readonly retryIn: number;
}

/** Fires of a schedule that nobody made and that will not be made. */
export interface ScheduleMissed {
  /** The event's name. */
  readonly event: "schedule.missed";
  /** The schedule's name. */
  readonly schedule: string;
  /** How many fire times were missed. */
  readonly count: number;
  /** What is done about them: `skip`, or `once` (the latest is fired now). */
  readonly policy: MissedPolicy;
  /**
   * Why: `outage` (no scheduler was active, and `policy` applies), `handover` (a handover gap
   * held more fires than a catch-up makes: the oldest are skipped), or `backlog` (more fires
   * waited behind a refused one than are kept: the oldest are skipped).
   */
  readonly cause: GapKind | "backlog";
  /** The latest missed fire time (ISO 8601). */
  readonly latest: string;
}

/** Any event a scheduler reports. */
export type SchedulerEvent =
  | SchedulerStandby
  | SchedulerLeading
  | SchedulerHandover
  | SchedulerFollowing
  | SchedulerStopped
  | ScheduleFired
  | ScheduleRefused
  | ScheduleMissed;
