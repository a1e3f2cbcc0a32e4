// Overview: each work queue's numbers, its chart, and the workers that consume it.
import { html } from "/assets/htm-preact.mjs";
import { count, rate } from "/assets/api.js";
import { Chart } from "/assets/chart.js";

const FIELDS = [
  ["ready", count],
  ["unacked", count],
  ["consumers", count],
  ["delayed", count],
  ["dead", count],
  ["publishRate", rate],
  ["deliverRate", rate],
];

function Workers({ queue, source }) {
  if (queue.workers === null) {
    return html`<p class="workers">${count(queue.consumers)} consumer(s)${
      source === "amqp" ? " (over AMQP; give the dashboard --management to see which workers)" : ""
    }</p>`;
  }
  if (queue.workers.length === 0) {
    return html`<p class="workers">No worker consumes ${queue.queue}.</p>`;
  }
  return html`
    <table class="workers" data-queue=${queue.queue}>
      <thead>
        <tr>
          <th>worker</th>
          <th>connection</th>
          <th>from</th>
          <th>prefetch</th>
        </tr>
      </thead>
      <tbody>${queue.workers.map((w) =>
        html`
          <tr>
            <td>${w.worker ?? "(not Warren)"}</td>
            <td>${w.connection}</td>
            <td>${w.peer ?? "–"}</td>
            <td>${count(w.prefetch)}</td>
          </tr>
        `
      )}</tbody>
    </table>
  `;
}

// Flow control: the key partitions (those holding tasks or lacking a consumer) and the limits
// (only those the queue has: the server leaves out the others).
function Flow({ queue, flow }) {
  if (!flow) return null;
  const { partitions, limits } = flow;
  const waiting = partitions.reduce((n, p) => n + p.ready, 0);
  const shown = partitions.filter((p) => p.ready > 0 || p.consumers === 0)
    .sort((a, b) => b.ready - a.ready);
  return html`
    <div class="flow" data-queue=${queue}>
      ${partitions.length > 0
        ? html`<p class="partitions">${partitions.length} key partitions, ${count(waiting)} keyed
            task(s) waiting${
          shown.length < partitions.length
            ? `; ${partitions.length - shown.length} empty and consumed not shown`
            : ""
        }</p>`
        : null}
      ${shown.length > 0
        ? html`
          <table class="partitions">
            <thead>
              <tr>
                <th>partition</th>
                <th>ready</th>
                <th>consumers</th>
              </tr>
            </thead>
            <tbody>${shown.map((p) =>
              html`
                <tr data-partition=${p.name}>
                  <td>${p.name}</td>
                  <td>${count(p.ready)}</td>
                  <td class=${p.consumers === 0 ? "error" : ""}>${count(p.consumers)}</td>
                </tr>
              `
            )}</tbody>
          </table>
        `
        : null}
      ${limits.length > 0
        ? html`
          <table class="limits">
            <thead>
              <tr>
                <th>rate limit</th>
                <th>waiting</th>
                <th>tokens</th>
                <th>workers</th>
                <th>refill</th>
              </tr>
            </thead>
            <tbody>${limits.map((l) =>
              html`
                <tr data-limit=${l.task}>
                  <td>${l.task}</td>
                  <td>${count(l.waiting)}</td>
                  <td>${count(l.tokens)}</td>
                  <td>${count(l.consumers)}</td>
                  <td class=${l.refilling ? "" : "error"}>${l.refilling
                    ? "refilled"
                    : "not refilled: no worker holds its baton"}</td>
                </tr>
              `
            )}</tbody>
          </table>
        `
        : null}
    </div>
  `;
}

export function Overview({ live }) {
  const { snapshot, history } = live;
  if (!snapshot) return html`<p>Reading the queues…</p>`;
  const source = snapshot.source === "management"
    ? `Numbers from the management API at ${snapshot.from}, read ${snapshot.at}.`
    : `Numbers from AMQP passive declares at ${snapshot.from}, read ${snapshot.at}.`;
  return html`
    <section>
      <p id="source" class="source">${source}</p>
      <table id="queues">
        <thead><tr><th>queue</th><th>ready</th><th>unacked</th><th>consumers</th><th>delayed</th>
          <th>dead</th><th>publish/s</th><th>deliver/s</th></tr></thead>
        <tbody>${snapshot.queues.map((q) =>
          html`<tr data-queue=${q.queue}><td>${q.queue}</td>${
            FIELDS.map(([key, show]) => html`<td data-field=${key}>${show(q[key])}</td>`)
          }</tr>${
            q.error
              ? html`
                <tr>
                  <td colspan="8" class="error" data-error=${q.queue}>${q.error}</td>
                </tr>
              `
              : null
          }`
        )}</tbody>
      </table>
      ${snapshot.notes.map((note) => html`<p class="note">${note}</p>`)}
      ${snapshot.queues.map((q) =>
        html`
          <div class="panel">
            <h2>${q.queue}</h2>
            <${Chart} points=${history[q.queue] ?? []} rates=${snapshot.source === "management"} />
            <${Workers} queue=${q} source=${snapshot.source} />
            <${Flow} queue=${q.queue} flow=${q.flow} />
          </div>
        `
      )}
    </section>
  `;
}
