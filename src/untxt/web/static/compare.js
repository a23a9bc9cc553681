// Compare engines: one file through several engines (POST /v1/compare), each engine's job
// followed by its own event stream, then the readings side by side, marked word by word.
import { ApiError, api, el, formatSeconds, sayError } from "./api.js";
import { diffWords, tokens } from "./diff.js";

const FINAL = new Set(["job.completed", "job.failed", "job.cancelled"]);

const form = document.getElementById("compare");
const enginesBox = document.getElementById("engines");
const formError = document.getElementById("compare-error");
const progress = document.getElementById("progress");
const result = document.getElementById("result");
const baseline = document.getElementById("baseline");
const readingsBox = document.getElementById("readings");
const agreementBox = document.getElementById("agreement");

let comparison = null; // the last GET /v1/compare/{id}
let streams = [];
let asked = 0; // numbers the refreshes so that a late answer does not undo a newer one

async function loadEngines() {
  let engines;
  try {
    engines = await api("/v1/engines");
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 401)) sayError(error, "Engines");
    return;
  }
  document.getElementById("engines-loading").remove();
  const grid = el("div", { class: "row" });
  for (const engine of engines) {
    const id = `engine-${engine.name}`;
    grid.append(
      el(
        "span",
        { class: "row", title: engine.available ? engine.version || "" : engine.reason || "not installed" },
        el("input", { type: "checkbox", id, name: "engine", value: engine.name, checked: engine.available, disabled: !engine.available }),
        el("label", { for: id }, engine.name),
        engine.available ? null : el("span", { class: "hint" }, `(${engine.reason || "not installed"})`),
      ),
    );
  }
  enginesBox.append(grid);
}

function closeStreams() {
  for (const source of streams) source.close();
  streams = [];
}

/** Follow each engine's job on its own stream: it replays the job's events from the
 * first, so nothing that happened before it opened is missed, and it ends with the job. */
function follow(jobIds) {
  closeStreams();
  for (const jobId of jobIds) {
    const source = new EventSource(`/v1/jobs/${encodeURIComponent(jobId)}/events`);
    const onEvent = (event) => {
      if (FINAL.has(event.type)) {
        source.close();
        refresh();
      }
    };
    for (const type of FINAL) source.addEventListener(type, onEvent);
    source.addEventListener("job.processing", () => refresh());
    // A stream the server ended or refused for good: the comparison says where things stand.
    source.addEventListener("error", () => {
      if (source.readyState === EventSource.CLOSED) refresh();
    });
    streams.push(source);
  }
}

async function refresh() {
  if (!comparison) return;
  const mine = ++asked;
  try {
    const latest = await api(`/v1/compare/${encodeURIComponent(comparison.id)}`);
    if (mine !== asked) return;
    comparison = latest;
  } catch (error) {
    sayError(error, "Comparison");
    return;
  }
  if (comparison.status !== "processing") closeStreams();
  render();
}

function statusLine() {
  const done = comparison.engines.filter((reading) => reading.status === "completed").length;
  if (comparison.status === "processing") {
    return `${done} of ${comparison.engines.length} engines have read the file…`;
  }
  if (comparison.status === "failed") return "Not every engine could read the file; see below.";
  return `All ${comparison.engines.length} engines have read the file.`;
}

function percent(value) {
  return value === null || value === undefined ? "" : `${(value * 100).toFixed(1)} %`;
}

function renderAgreement() {
  if (!comparison.agreement.length) {
    agreementBox.replaceChildren();
    return;
  }
  agreementBox.replaceChildren(
    el(
      "table",
      { class: "agreement" },
      el("caption", { class: "small muted" }, "Agreement: the share of words two readings have in common, in order"),
      el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "Engines"), el("th", { scope: "col", class: "num" }, "Agreement"))),
      el(
        "tbody",
        {},
        comparison.agreement.map((pair) =>
          el("tr", {}, el("td", {}, `${pair.a} and ${pair.b}`), el("td", { class: "num" }, percent(pair.agreement))),
        ),
      ),
    ),
  );
}

/** The reading's text, with the words it differs by from the baseline's marked. */
function markedText(reading, base) {
  const mine = tokens(reading.text);
  const box = el("div", { class: "reading-text", lang: "" });
  if (!base || base === reading || base.text === null) {
    box.append(mine.map((token) => token.word + token.space).join(""));
    return { box, added: 0, missed: 0 };
  }
  const theirs = tokens(base.text);
  const ops = diffWords(theirs.map((t) => t.word), mine.map((t) => t.word));
  if (ops === null) {
    box.append(mine.map((token) => token.word + token.space).join(""));
    return { box, added: null, missed: null };
  }
  let added = 0;
  let missed = 0;
  for (const { op, a, b } of ops) {
    if (op === "same") box.append(mine[b].word + mine[b].space);
    else if (op === "ins") {
      added += 1;
      box.append(el("ins", { class: "diff-ins" }, mine[b].word), mine[b].space);
    } else {
      missed += 1;
      box.append(el("del", { class: "diff-del" }, theirs[a].word), " ");
    }
  }
  return { box, added, missed };
}

function card(reading, base) {
  const facts = el("dl", { class: "facts" });
  const fact = (term, value) => value !== "" && facts.append(el("dt", {}, term), el("dd", {}, value));
  fact("Status", el("span", { class: `badge ${reading.status}` }, reading.status));
  fact("Mean confidence", percent(reading.confidence));
  fact("Time", formatSeconds(reading.seconds));
  const parts = [facts];
  if (reading.error) parts.push(el("p", { class: "reason" }, reading.error));
  if (reading.text !== null && reading.text !== undefined) {
    const { box, added, missed } = markedText(reading, base);
    if (reading !== base && base && base.text !== null) {
      fact("Against the baseline", added === null ? "too long to mark" : `${added} read here only, ${missed} missed`);
    } else if (reading === base) {
      fact("Baseline", "the others are marked against this reading");
    }
    fact("Words", String(tokens(reading.text).length));
    parts.push(box);
  }
  return el(
    "article",
    { class: "card reading", dataset: { engine: reading.engine, status: reading.status }, "aria-label": `${reading.engine}'s reading` },
    el("h3", {}, reading.engine, " ", el("a", { href: `/jobs/${encodeURIComponent(reading.job_id)}`, class: "small" }, "open")),
    parts,
  );
}

function render() {
  result.hidden = false;
  progress.textContent = statusLine();
  const names = comparison.engines.map((reading) => reading.engine);
  if ([...baseline.options].map((option) => option.value).join() !== names.join()) {
    const chosen = baseline.value;
    baseline.replaceChildren(...names.map((name) => el("option", { value: name }, name)));
    if (names.includes(chosen)) baseline.value = chosen;
  }
  const base = comparison.engines.find((reading) => reading.engine === baseline.value);
  renderAgreement();
  readingsBox.replaceChildren(...comparison.engines.map((reading) => card(reading, base)));
}

baseline.addEventListener("change", () => comparison && render());

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  formError.hidden = true;
  const engines = [...form.querySelectorAll('input[name="engine"]:checked')].map((box) => box.value);
  const file = form.file.files[0];
  const problem = !file ? "Choose a file to compare." : engines.length < 2 ? "Tick two engines or more." : null;
  if (problem) {
    formError.textContent = problem;
    formError.hidden = false;
    return;
  }
  const body = new FormData();
  body.append("file", file);
  body.append("engines", engines.join(","));
  const languages = form.languages.value.split(",").map((part) => part.trim()).filter(Boolean);
  if (languages.length) body.append("options", JSON.stringify({ languages }));
  const button = form.querySelector('button[type="submit"]');
  button.disabled = true;
  progress.textContent = "Sending…";
  try {
    const batch = await api("/v1/compare", { method: "POST", form: body });
    comparison = { id: batch.id, status: "processing", agreement: [], engines: batch.jobs.map((job) => ({ engine: job.options.engine, job_id: job.id, status: job.status, text: null })) };
    render();
    follow(batch.jobs.map((job) => job.id));
  } catch (error) {
    progress.textContent = "";
    formError.textContent = error instanceof ApiError ? error.message : String(error);
    formError.hidden = false;
  } finally {
    button.disabled = false;
  }
});

window.addEventListener("pagehide", closeStreams);
loadEngines();
