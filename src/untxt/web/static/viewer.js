// The result viewer (/jobs/{id}): the job's live status until it ends, then the page
// image with its word boxes (overlay.js), the text views (textpane.js), the fields
// (fields.js), downloads and the facts of how the document was read.
import { ApiError, api, el, formatDate, formatSeconds, sayError, secondsBetween } from "./api.js";
import { FieldsPane, wordRef } from "./fields.js";
import { matches, queryTerms } from "./fold.js";
import { Overlay, pageModel, reveal } from "./overlay.js";
import { TextPane, setUpTabs } from "./textpane.js";

const FINAL = new Set(["completed", "failed", "cancelled"]);
const FORMATS = [
  ["text", "Text", "txt"],
  ["markdown", "Markdown", "md"],
  ["json", "JSON", "json"],
  ["hocr", "hOCR", "hocr"],
  ["alto", "ALTO XML", "xml"],
  ["html", "HTML", "html"],
  ["pdf", "Searchable PDF", "pdf"],
];
// Largest side of the page images asked for: sharp on wide screens, light to send.
const IMAGE_SIDE = 1600;

const jobId = decodeURIComponent(location.pathname.split("/").pop());
const $ = (id) => document.getElementById(id);

const view = {
  job: null,
  document: null,
  models: [],
  page: 0,
  overlay: null,
  text: null,
};

function showStatus(job) {
  const badge = $("status");
  badge.className = `badge ${job.status}`;
  badge.textContent = job.status;
  const panel = $("status-panel");
  panel.hidden = job.status === "completed";
  const words = {
    queued: job.queue_position ? `Waiting: ${job.queue_position} page(s) ahead in the queue.` : "Waiting for a worker.",
    processing: "Being read…",
    failed: `Failed: ${job.error || "no reason was given"}`,
    cancelled: "Cancelled.",
    completed: "",
  }[job.status];
  $("status-words").textContent = words;
  $("status-words").className = job.status === "failed" ? "error" : "";
  const total = job.pages_total || 0;
  $("status-progress").hidden = FINAL.has(job.status);
  $("status-progress").max = Math.max(total, 1);
  $("status-progress").value = job.pages_done || 0;
  $("status-pages").textContent = total && !FINAL.has(job.status) ? `${job.pages_done || 0} of ${total} pages` : "";
}

/** Follow a job that has not ended on its own stream, then load what it made. */
function follow() {
  const stream = new EventSource(`/v1/jobs/${encodeURIComponent(jobId)}/events`);
  const onEvent = (message) => {
    const data = JSON.parse(message.data).data;
    const job = { ...view.job, status: data.status, ...(data.progress || {}) };
    if (data.error) job.error = data.error;
    view.job = job;
    showStatus(job);
    if (FINAL.has(data.status)) {
      stream.close(); // the stream ends here; a reconnect would only hear 204
      start().catch((error) => sayError(error, "The job"));
    }
  };
  for (const type of ["job.queued", "job.processing", "job.progress", "job.completed", "job.failed", "job.cancelled"]) {
    stream.addEventListener(type, onEvent);
  }
}

function downloads(job) {
  const stored = job.options?.outputs || [];
  const base = (job.filename || job.id).replace(/\.[^.]+$/, "");
  const links = FORMATS.filter(([format]) => stored.includes(format)).map(([format, words, extension]) =>
    el("a", { class: "button", href: `/v1/jobs/${job.id}/result?format=${format}`, download: `${base}.${extension}` }, words),
  );
  const box = $("downloads");
  box.replaceChildren(...links);
  if (!stored.includes("pdf")) {
    box.append(el("p", { class: "hint" }, "No searchable PDF: it is made when a job asks for it (the option on the Jobs page)."));
  }
}

function preprocessing(page) {
  const done = [];
  const p = page.preprocessing || {};
  if (p.rotation) done.push(`turned ${p.rotation}°`);
  if (p.skew) done.push(`straightened by ${Number(p.skew).toFixed(2)}°`);
  if (p.scale && p.scale !== 1) done.push(`enlarged ×${Number(p.scale).toFixed(2)}`);
  if (p.cleaned) done.push("cleaned");
  return done.length ? done.join(", ") : "none needed";
}

function facts() {
  const { job, document: doc } = view;
  const page = doc.pages[view.page];
  const engines = [...new Set(doc.pages.map((p) => p.engine))].join(", ") || job.options?.engine;
  const languages = [...new Set(doc.pages.flatMap((p) => p.languages))].join(", ");
  const rows = [
    ["Engine", engines],
    ["Languages", languages],
    ["Pages", String(doc.pages.length)],
    ["Confidence", doc.confidence === null ? "no words" : `${Math.round(doc.confidence * 100)}% on average`],
    ["Submitted", formatDate(job.created_at)],
    ["Started", formatDate(job.started_at) || "—"],
    ["Finished", formatDate(job.finished_at)],
    ["Time taken", job.from_cache ? "none: answered from the cache" : formatSeconds(secondsBetween(job.started_at, job.finished_at))],
    ["Recognition", formatSeconds(doc.seconds)],
    ["From cache", job.from_cache ? "yes, an earlier job's result" : "no"],
    [`Page ${page.number}`, `${page.width} × ${page.height} px${page.dpi ? ` at ${page.dpi} DPI` : ""}, ${page.source === "text-layer" ? "its own text layer" : "OCR"}`],
    [`Preprocessing of page ${page.number}`, preprocessing(page)],
  ];
  $("facts").replaceChildren(...rows.flatMap(([term, value]) => [el("dt", {}, term), el("dd", {}, value)]));
}

/** Light one line on both sides; `from` says which side asked, the other is scrolled to it. */
function lightLine(lineIndex, from) {
  const box = view.overlay.light(lineIndex);
  const item = view.text.light(lineIndex);
  if (from === "text") reveal(box);
  else reveal(item);
}

function showPage(index) {
  const count = view.models.length;
  view.page = Math.min(Math.max(0, index), count - 1);
  const model = view.models[view.page];
  const number = model.page.number;
  const name = view.job.filename || view.job.id;
  $("image-error").hidden = true;
  view.overlay.show(model, `/v1/jobs/${jobId}/pages/${number}/image?max_side=${IMAGE_SIDE}`, `Page ${number} of ${name}`);
  view.text.show(model);
  $("page-number").value = String(number);
  $("page-number").max = String(count);
  $("page-count").textContent = `of ${count}`;
  $("prev").disabled = view.page === 0;
  $("next").disabled = view.page === count - 1;
  $("pager").hidden = count < 2;
  facts();
}

/** Light a field's source words, going to their page first. */
function showWords(ids) {
  const refs = ids.map(wordRef).filter(Boolean);
  if (!refs.length) return;
  const pageIndex = view.models.findIndex((model) => model.page.number === refs[0].page);
  if (pageIndex < 0) return;
  if (pageIndex !== view.page) showPage(pageIndex);
  const first = view.overlay.highlight(refs.filter((ref) => ref.page === refs[0].page).map((ref) => ref.index));
  reveal(first);
}

function setUpPageTools() {
  $("prev").addEventListener("click", () => showPage(view.page - 1));
  $("next").addEventListener("click", () => showPage(view.page + 1));
  $("page-number").addEventListener("change", () => {
    const wanted = Number($("page-number").value);
    if (Number.isInteger(wanted) && wanted >= 1 && wanted <= view.models.length) showPage(wanted - 1);
    else $("page-number").value = String(view.page + 1);
  });
  const threshold = $("threshold");
  threshold.addEventListener("input", () => {
    $("threshold-value").textContent = threshold.value;
    view.overlay.setThreshold(Number(threshold.value) / 100);
    view.text.setThreshold(Number(threshold.value) / 100);
  });
  const image = $("page-image");
  image.addEventListener("error", () => {
    if (!image.getAttribute("src")) return;
    // No broken-image icon under the boxes: the frame keeps the page's shape, blank.
    image.classList.add("missing");
    $("image-error").textContent = "The page image could not be loaded; the boxes are drawn on a blank page.";
    $("image-error").hidden = false;
  });
  image.addEventListener("load", () => image.classList.remove("missing"));
}

async function showResult() {
  const job = view.job;
  const outputs = job.options?.outputs || [];
  if (!outputs.includes("json")) {
    // The boxes, lines and facts all come from the json result; offer what was stored.
    $("status-panel").hidden = false;
    $("status-words").textContent = "This job did not store the JSON result the viewer draws from; its other formats are below.";
    $("status-progress").hidden = true;
    downloads(job);
    $("status-panel").append($("downloads"));
    return;
  }
  view.document = await api(`/v1/jobs/${jobId}/result?format=json`);
  view.models = view.document.pages.map(pageModel);
  view.overlay = new Overlay({
    frame: $("frame"),
    image: $("page-image"),
    svg: $("overlay"),
    tooltip: $("tooltip"),
    onPick: (line) => lightLine(line, "image"),
  });
  view.text = new TextPane({ jobId, outputs, onPick: (line) => lightLine(line, "text") });
  setUpTabs($("tabs"), (name) => view.text.open(name, view.document));
  setUpPageTools();
  downloads(job);
  $("result").hidden = false;
  if (view.models.length) showFound() || showPage(0);
  else $("facts").replaceChildren(el("dt", {}, "Pages"), el("dd", {}, "none"));
  if ((job.options?.extract || []).length) {
    const pane = new FieldsPane(jobId, {
      show: showWords,
      hide: () => view.overlay.highlight([]),
    });
    await pane.load().catch((error) => sayError(error, "Fields"));
  }
}

/**
 * Opened from a search hit (`?page=N&find=QUERY`): go to that page and light the words
 * the query matches. Returns whether it did.
 */
function showFound() {
  const params = new URLSearchParams(location.search);
  const terms = queryTerms(params.get("find") || "");
  const number = Number(params.get("page") || "1");
  const index = view.models.findIndex((model) => model.page.number === number);
  if (!terms.length || index < 0) return false;
  showPage(index);
  const found = view.models[index].words.filter((word) => matches(word.text, terms)).map((word) => word.index);
  const first = view.overlay.highlight(found);
  if (first) reveal(first);
  return true;
}

/** Read the job and show whatever its state allows. */
async function start() {
  view.job = await api(`/v1/jobs/${encodeURIComponent(jobId)}`);
  const name = view.job.filename || view.job.id;
  $("title").textContent = name;
  document.title = `${name} · untxt`;
  showStatus(view.job);
  if (view.job.status === "completed") await showResult();
  else if (!FINAL.has(view.job.status)) follow();
}

start().catch((error) => {
  $("title").textContent = error instanceof ApiError && error.status === 404 ? "No such job" : "The job could not be read";
  $("status-panel").hidden = false;
  $("status-words").textContent = error.message;
  $("status-words").className = "error";
  $("status-progress").hidden = true;
});
