/**
 * Reading schedules from a JSON file (for `scheduler.ts --file` and `worker.ts --schedules`):
 * an array of `{"name", "task", "payload", "cron", "tz", "every", "missed"}`, `every` a
 * duration (`"1s"`, `"10m"`) or a number of milliseconds. Each entry is checked before anything
 * runs; a bad one is a usage error naming the file, the entry and the field.
 *
 * @module
 */
import type { Schedule } from "../../scheduler/schedule.ts";
import { resolveSchedules } from "../../scheduler/schedule.ts";
import type { Catalog } from "../../task/catalog.ts";
import { describeError } from "../../errors/describe.ts";
import { explainPermission } from "../../util/permissions.ts";
import { parseDurationFlag } from "./args.ts";
import { UsageError } from "./exit.ts";

/** The schedules of the JSON file at `path`, checked against `catalog`. */
export async function readSchedulesFile<C extends Catalog>(
  catalog: C,
  path: string,
): Promise<Schedule<C>[]> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) throw new UsageError(`no schedules file at '${path}'`);
    throw explainPermission(err, `--allow-read=${path}`, `reading ${path}`);
  }
  let entries: unknown;
  try {
    entries = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${path} is not JSON: ${describeError(err)}`);
  }
  if (!Array.isArray(entries)) {
    throw new UsageError(
      `${path} must hold a JSON array of schedules: [{"name": ..., "task": ...}]`,
    );
  }
  const schedules = entries.map((entry, i) => {
    if (typeof entry !== "object" || entry === null || Array.isArray(entry)) {
      throw new UsageError(`${path}: entry ${i + 1} is not a JSON object`);
    }
    const { every, ...rest } = entry as Record<string, unknown>;
    if (typeof every === "string") {
      try {
        return { ...rest, every: parseDurationFlag("every", every) };
      } catch (err) {
        throw new UsageError(
          `${path}: entry ${i + 1} (${JSON.stringify(rest.name)}): every: ${
            describeError(err).replace(/^--every /, "")
          }`,
        );
      }
    }
    return every === undefined ? rest : { ...rest, every };
  }) as unknown as Schedule<C>[];
  try {
    resolveSchedules(catalog, schedules);
  } catch (err) {
    throw new UsageError(`${path}: ${describeError(err).replace(/^Cannot use /, "")}`);
  }
  return schedules;
}
