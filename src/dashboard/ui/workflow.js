// A workflow (`#/workflow/QUEUE/ID`): its steps as a tree, by stage (stage 0, 1, …, then the end,
// whose outcome is the workflow's), a fan-out's or a group's members under their stage; each step
// with its state, attempts, duration and result or error, and a link to its task. Read from the
// task history (GET /api/queues/QUEUE/workflows/ID), again every 1.5 s until the workflow ends.
import { useEffect, useState } from "/assets/preact-hooks.mjs";
import { html } from "/assets/htm-preact.mjs";
import { getJson, queuePath } from "/assets/api.js";
import { formatDuration, StateBadge, taskHref } from "/assets/tasks.js";

const REFRESH_MS = 1500;

/** Members of one stage listed one by one; the others are counted by state only. */
const MEMBERS_SHOWN = 500;

/** How many characters of a result or an error a line shows (the API sends up to 2,000). */
const TEXT_SHOWN = 300;

/** The steps grouped by stage, in the order the API sends them (stage, then member). */
function stagesOf(steps) {
  const stages = [];
  for (const step of steps) {
    const last = stages.at(-1);
    if (last && last.stage === step.stage) last.steps.push(step);
    else stages.push({ stage: step.stage, steps: [step] });
  }
  return stages;
}

/** How many steps are in each state: `3 succeeded, 1 dead`. */
function countsOf(steps) {
  const counts = new Map();
  for (const { record } of steps) counts.set(record.state, (counts.get(record.state) ?? 0) + 1);
  return [...counts].map(([state, n]) => `${n} ${state}`).join(", ");
}

/** How many members a stage has: `4 members` (`4 members, 8 steps` when they are chains). */
function sizeOf(steps) {
  const members = new Set(steps.map((s) => s.member)).size;
  return steps.length === members
    ? `${members} member(s)`
    : `${members} member(s), ${steps.length} steps`;
}

/**
 * The members a stage lists: all of them up to {@linkcode MEMBERS_SHOWN}; past that, those that
 * did not succeed first, then succeeded ones, in member order.
 */
function shownMembers(steps) {
  if (steps.length <= MEMBERS_SHOWN) return steps;
  const failed = steps.filter((s) => s.record.state !== "succeeded");
  const succeeded = steps.filter((s) => s.record.state === "succeeded");
  const chosen = new Set([...failed, ...succeeded].slice(0, MEMBERS_SHOWN));
  return steps.filter((s) => chosen.has(s));
}

/** A step's result (once it succeeded) or its last error, cut for a line. */
function outcomeText(record) {
  const text = record.state === "succeeded"
    ? record.result === undefined ? "" : JSON.stringify(record.result)
    : record.error ?? "";
  return text.length > TEXT_SHOWN ? `${text.slice(0, TEXT_SHOWN)}…` : text;
}

/** A member's label: `#3` (`#3.1` for a step inside a member). */
function memberLabel(step) {
  if (step.member === undefined) return "";
  return step.sub === undefined ? `#${step.member}` : `#${step.member}.${step.sub}`;
}

function StepRow({ step, queue, member }) {
  const { record } = step;
  const failed = record.state !== "succeeded" && record.error !== undefined;
  return html`
    <tr class=${member ? "step member" : "step"} data-step=${step.id} data-state=${record.state}>
      <td class="where">${member ? memberLabel(step) : ""}</td>
      <td>${record.task ?? "?"}</td>
      <td class="id"><a class="step-link" href=${taskHref(queue, step.id)}>${step.id}</a></td>
      <td>
        <${StateBadge} state=${record.state} />
      </td>
      <td class="num">${record.attempts}</td>
      <td class="num duration">${step.ms === undefined
        ? ""
        : formatDuration({ ms: step.ms, ongoing: false })}</td>
      <td class=${failed ? "text error" : "text"} title=${outcomeText(record)}>${outcomeText(
        record,
      )}</td>
    </tr>
  `;
}

function Stage({ stage, queue }) {
  const label = stage.stage === "end" ? "end" : `stage ${stage.stage}`;
  const members = stage.steps.some((s) => s.member !== undefined);
  const shown = members ? shownMembers(stage.steps) : stage.steps;
  const tasks = [...new Set(stage.steps.map((s) => s.record.task ?? "?"))].join(", ");
  return html`
    <tbody class="stage" data-stage=${String(stage.stage)}>
      <tr class="stage-head">
        <th colspan="7">${label}<span class="stage-tasks">${tasks}</span>${members
          ? html`<span class="stage-counts">${sizeOf(stage.steps)}: ${countsOf(stage.steps)}</span>`
          : null}</th>
      </tr>
      ${shown.map((step) =>
        html`<${StepRow} step=${step} queue=${queue} member=${members} key=${step.id} />`
      )}
      ${shown.length < stage.steps.length
        ? html`
          <tr class="more">
            <td colspan="7">${stage.steps.length -
              shown.length} more step(s) not listed: the JSON below lists them all.</td>
          </tr>
        `
        : null}
    </tbody>
  `;
}

export function Workflow({ route }) {
  const { queue, id } = route;
  const [lookup, setLookup] = useState(null);
  const [error, setError] = useState(null);
  const [round, setRound] = useState(0);
  const path = queuePath(queue, `workflows/${encodeURIComponent(id)}`);
  // Read again REFRESH_MS after each answer while the workflow runs; never two reads at once.
  // An error (an unknown id, a queue without a history) stops the reading until asked again.
  useEffect(() => {
    let open = true;
    let timer;
    const read = async () => {
      try {
        const answer = await getJson(path);
        if (!open) return;
        setLookup(answer);
        setError(null);
        if (answer.state === "running") timer = setTimeout(read, REFRESH_MS);
      } catch (err) {
        if (open) setError(err.message);
      }
    };
    setLookup(null);
    setError(null);
    read();
    return () => {
      open = false;
      clearTimeout(timer);
    };
  }, [path, round]);

  const running = lookup?.state === "running";
  return html`
    <section id="workflow" data-id=${id}>
      <h2>Workflow <span class="id">${id}</span> of ${queue}</h2>
      ${error
        ? html`
          <p class="error" id="workflow-error">${error}</p>
          <p><button id="workflow-again" onClick=${() =>
            setRound((n) => n + 1)}>Look again</button></p>
        `
        : null}
      ${lookup
        ? html`
          <p id="workflow-state" data-state=${lookup.state}>
            <${StateBadge} state=${lookup.state} />
            <span id="workflow-live" class="note">${running
              ? ` refreshed every ${REFRESH_MS / 1000} s while it runs`
              : " ended: no longer refreshed"}</span>
          </p>
          <table id="workflow-tree">
            <thead>
              <tr>
                <th>step</th>
                <th>task</th>
                <th>id</th>
                <th>state</th>
                <th class="num">attempts</th>
                <th class="num">duration</th>
                <th>result or error</th>
              </tr>
            </thead>
            ${stagesOf(lookup.steps).map((stage) =>
              html`<${Stage} stage=${stage} queue=${queue} key=${String(stage.stage)} />`
            )}
          </table>
          ${lookup.skipped?.count > 0
            ? html`
              <p class="note"
                id="workflow-skipped">${lookup.skipped
                  .count} event(s) of the history could not be read and were skipped.</p>
            `
            : null}
          <p class="note">Steps that have not started have no events yet, and are not listed. The
            last step's id is the workflow's: its outcome is the workflow's. <a id="workflow-json"
              href=${path} target="_blank" rel="noopener">The workflow as JSON</a>.</p>
        `
        : error
        ? null
        : html`<p class="note">Reading the history…</p>`}
    </section>
  `;
}
