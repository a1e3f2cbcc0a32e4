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
          </div>
        `
      )}
    </section>
  `;
}
