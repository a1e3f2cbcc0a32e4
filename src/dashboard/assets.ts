/**
 * Everything the dashboard's page loads, served by the dashboard itself: its own UI modules and
 * styles (`ui/`), and preact, htm and uPlot from npm, all imported as text, so that they are
 * part of the module graph (`deno compile` embeds them; no file is read at run time, no CDN is
 * asked). The npm modules import each other by bare specifier, which a browser cannot resolve
 * without an import map (and an inline import map is a script the Content-Security-Policy
 * forbids), so those specifiers are rewritten to the paths the dashboard serves them at.
 *
 * @module
 */
import preact from "npm:preact@^11.2.0" with { type: "text" };
import preactHooks from "npm:preact@^11.2.0/hooks" with { type: "text" };
import htm from "npm:htm@^3.1.1" with { type: "text" };
import htmPreact from "npm:htm@^3.1.1/preact" with { type: "text" };
import uplot from "npm:uplot@^1.6.32/dist/uPlot.esm.js" with { type: "text" };
import uplotCss from "npm:uplot@^1.6.32/dist/uPlot.min.css" with { type: "text" };
import indexHtml from "./ui/index.html" with { type: "text" };
import styleCss from "./ui/style.css" with { type: "text" };
import apiJs from "./ui/api.js" with { type: "text" };
import appJs from "./ui/app.js" with { type: "text" };
import chartJs from "./ui/chart.js" with { type: "text" };
import confirmJs from "./ui/confirm.js" with { type: "text" };
import deadJs from "./ui/dead.js" with { type: "text" };
import overviewJs from "./ui/overview.js" with { type: "text" };
import schedulesJs from "./ui/schedules.js" with { type: "text" };
import tasksJs from "./ui/tasks.js" with { type: "text" };
import workflowJs from "./ui/workflow.js" with { type: "text" };

/** A file the dashboard serves. */
export interface Asset {
  /** Its content. */
  readonly body: string;
  /** Its media type. */
  readonly type: string;
}

/** Where each bare specifier of the npm modules is served. */
const PATHS: Readonly<Record<string, string>> = {
  "preact": "/assets/preact.mjs",
  "preact/hooks": "/assets/preact-hooks.mjs",
  "htm": "/assets/htm.mjs",
  "htm/preact": "/assets/htm-preact.mjs",
};

/** `source` with its bare imports of {@linkcode PATHS} made absolute, and no source map link. */
export function rewriteImports(source: string): string {
  return source
    .replace(
      /(\bfrom\s*|\bimport\s*)(["'])(preact\/hooks|preact|htm\/preact|htm)\2/g,
      (_match, keyword: string, quote: string, specifier: string) =>
        `${keyword}${quote}${PATHS[specifier]}${quote}`,
    )
    .replace(/\n?\/\/# sourceMappingURL=\S*\s*$/, "\n");
}

const js = (body: string): Asset => ({ body, type: "text/javascript; charset=utf-8" });
const css = (body: string): Asset => ({ body, type: "text/css; charset=utf-8" });

/** The page itself. */
export const INDEX: Asset = { body: indexHtml, type: "text/html; charset=utf-8" };

/** The files under `/assets/`, by name. */
export const ASSETS: ReadonlyMap<string, Asset> = new Map([
  ["preact.mjs", js(rewriteImports(preact))],
  ["preact-hooks.mjs", js(rewriteImports(preactHooks))],
  ["htm.mjs", js(rewriteImports(htm))],
  ["htm-preact.mjs", js(rewriteImports(htmPreact))],
  ["uplot.mjs", js(rewriteImports(uplot))],
  ["uplot.css", css(uplotCss)],
  ["style.css", css(styleCss)],
  ["api.js", js(apiJs)],
  ["app.js", js(appJs)],
  ["chart.js", js(chartJs)],
  ["confirm.js", js(confirmJs)],
  ["dead.js", js(deadJs)],
  ["overview.js", js(overviewJs)],
  ["schedules.js", js(schedulesJs)],
  ["tasks.js", js(tasksJs)],
  ["workflow.js", js(workflowJs)],
]);
