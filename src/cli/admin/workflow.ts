/**
 * `admin.ts workflow ID`: a workflow's steps as a tree, read from the history.
 *
 * @module
 */
import { UnknownIdError } from "../../errors/unknown_id_error.ts";
import { skippedInWords } from "../../history/skipped.ts";
import type { WorkflowLookup, WorkflowStep } from "../../history/workflow_lookup.ts";
import { stringifyJson } from "../../util/json.ts";
import { booleanFlag, parseFlags } from "../shared/args.ts";
import { EXIT_OK } from "../shared/exit.ts";
import { PROGRAM, URL_QUEUE_HELP } from "./common.ts";
import { printable, printableJson } from "./format.ts";
import { LOOKUP_FLAGS, oneId, sinceOf, startInWords, withAdmin } from "./history.ts";

/** Members of a stage listed one by one without `--all` (the others are counted by state). */
const MEMBERS_SHOWN = 10;

/** How long a result or error may be on a line. */
const TEXT_SHOWN = 120;

/** Help of `admin.ts workflow`. */
export const WORKFLOW_HELP = `Shows a workflow as the history (Q.events) tells it: its state
(running, succeeded, failed) and its steps as a tree, by stage: each step's state, attempts,
duration, and result or error. A fan-out's members are counted by state; the first
${MEMBERS_SHOWN} that did not succeed are listed (all of them with --all). The last step's id is
the workflow's: its line ('end') is the workflow's outcome.

Usage: ${PROGRAM} workflow ID [options]

Options:
  --since WHEN        read the history from this time (30m, 2h, 7d, or an ISO 8601 time);
                      by default from the workflow id's time, less 5 minutes
  --all               list every member of each stage
  --json              the workflow and its steps as one JSON object, texts cut to 2000
${URL_QUEUE_HELP}
  -h, --help          show this help

Steps that have not started have no events yet, and are not listed.
Exit status: 0 on success, 1 on broker errors, 2 on bad usage, an unknown id, or a queue with
no history.`;

/** Runs `admin.ts workflow` with the arguments after `workflow`. */
export async function workflowCommand(args: readonly string[]): Promise<number> {
  const { flags, positionals } = parseFlags(args, {
    string: LOOKUP_FLAGS.string,
    boolean: [...LOOKUP_FLAGS.boolean, "all"],
    alias: { help: "h" },
  }, "for 'workflow'");
  if (flags.help) {
    console.log(WORKFLOW_HELP);
    return EXIT_OK;
  }
  const id = oneId(positionals, "workflow");
  const since = sinceOf(flags);
  return await withAdmin(flags, async (admin) => {
    const workflow = await admin.workflow(id, since);
    if (!workflow) throw new UnknownIdError(id, admin.names.main, startInWords(id, since.since));
    console.log(
      booleanFlag(flags, "json")
        ? printableJson(stringifyJson(workflow))
        : formatWorkflow(workflow, { all: booleanFlag(flags, "all") }),
    );
    return EXIT_OK;
  });
}

function cut(text: string): string {
  const flat = text.replace(/\s+/g, " ");
  return flat.length > TEXT_SHOWN ? `${flat.slice(0, TEXT_SHOWN)}…` : flat;
}

function stepLine(step: WorkflowStep): string {
  const { record } = step;
  const parts = [
    record.state.padEnd(10),
    `${record.attempts} attempt${record.attempts === 1 ? "" : "s"}`,
    step.ms === undefined ? "" : `${step.ms} ms`,
  ];
  if (record.state === "succeeded" && "result" in record) {
    parts.push(`result ${cut(stringifyJson(record.result))}`);
  } else if (record.error !== undefined) {
    parts.push(`${record.reason ? `${record.reason}: ` : ""}${cut(record.error)}`);
  } else if (record.progress) {
    parts.push(`progress ${Math.round(record.progress.fraction * 100)}%`);
  }
  return parts.filter((p) => p !== "").join("  ");
}

/** The workflow as the text `admin.ts workflow` prints. */
export function formatWorkflow(workflow: WorkflowLookup, options: { all: boolean }): string {
  const lines = [`workflow ${workflow.id}: ${workflow.state}`];
  const stages = new Map<number | "end", WorkflowStep[]>();
  for (const step of workflow.steps) {
    const list = stages.get(step.stage) ?? [];
    list.push(step);
    stages.set(step.stage, list);
  }
  for (const [stage, steps] of stages) {
    const label = stage === "end" ? "end" : `stage ${stage}`;
    const single = steps.length === 1 && steps[0]!.member === undefined;
    if (single) {
      const step = steps[0]!;
      lines.push(`  ${label.padEnd(9)} ${(step.record.task ?? "?").padEnd(16)} ${stepLine(step)}`);
      continue;
    }
    const counts = new Map<string, number>();
    for (const step of steps) {
      counts.set(step.record.state, (counts.get(step.record.state) ?? 0) + 1);
    }
    const tasks = [...new Set(steps.map((s) => s.record.task ?? "?"))].join(", ");
    const summary = [...counts].map(([state, n]) => `${n} ${state}`).join(", ");
    const members = new Set(steps.map((s) => s.member)).size;
    const chains = steps.some((s) => s.sub !== undefined);
    const count = steps.length === members
      ? `${members} members`
      : `${members} members, ${steps.length} steps`;
    lines.push(`  ${label.padEnd(9)} ${tasks}, ${count}: ${summary}`);
    const shown = options.all ? steps : steps.filter((s) => s.record.state !== "succeeded")
      .slice(0, MEMBERS_SHOWN);
    for (const step of shown) {
      const at = step.sub === undefined ? `${step.member}` : `${step.member}.${step.sub}`;
      const task = chains ? `${(step.record.task ?? "?").padEnd(16)} ` : "";
      lines.push(`    #${at.padEnd(6)} ${task}${stepLine(step)}`);
    }
    const hidden = steps.length - shown.length;
    if (hidden > 0) lines.push(`    (${hidden} more not listed: --all lists every member)`);
  }
  if (workflow.skipped.count > 0) {
    lines.push(`events skipped: ${skippedInWords(workflow.skipped)}`);
  }
  return lines.map(printable).join("\n");
}
