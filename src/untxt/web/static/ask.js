// Ask (/search): POST /v1/ask as a stream of events. The answer grows as the model writes
// it; each [n] it cites links to that source, and each source opens the viewer on its page
// with its lines lit. Without a model the answer is the database's, or the best passages.
import { api, el, sayError, ApiError } from "./api.js";

const form = document.getElementById("ask");
const box = document.getElementById("answer-box");
const answer = document.getElementById("answer");
const note = document.getElementById("answer-note");
const list = document.getElementById("citations");
const error = document.getElementById("ask-error");
const button = form.querySelector("button");

/** The viewer on a source's page, its first line's words lit where it is a passage. */
function viewerLink(source) {
  const query = new URLSearchParams({ page: String(source.page || 1) });
  const line = source.lines.find((l) => l.bbox) || source.lines[0];
  if (source.kind === "passage" && line) query.set("find", `"${line.text.replace(/"/g, " ")}"`);
  return `/jobs/${encodeURIComponent(source.job_id)}?${query}`;
}

function sourceItem(source) {
  const title =
    source.kind === "computed"
      ? "Computed by the database"
      : `${source.filename}, page ${source.page}${source.kind === "fields" ? " (fields)" : ""}`;
  const head = source.job_id ? el("a", { href: viewerLink(source) }, title) : el("span", {}, title);
  const lines = el("div", { class: "source-lines" }, source.lines.map((l) => el("div", {}, l.text)));
  return el("li", { id: `source-${source.ref}`, value: String(source.ref), dataset: { ref: String(source.ref) } }, head, lines);
}

/** The answer's text with each [n] that names a source made a link to it. */
function withLinks(text, refs) {
  const parts = [];
  let at = 0;
  for (const match of text.matchAll(/\[(\d+)\]/g)) {
    const ref = Number(match[1]);
    if (!refs.has(ref)) continue;
    parts.push(text.slice(at, match.index), el("a", { href: `#source-${ref}`, class: "cite" }, match[0]));
    at = match.index + match[0].length;
  }
  parts.push(text.slice(at));
  return parts;
}

/** Server-sent events from a fetch Response: yields [event, data]. */
async function* events(response) {
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value.replace(/\r\n/g, "\n");
    let end;
    while ((end = buffer.indexOf("\n\n")) !== -1) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let name = "message";
      const data = [];
      for (const line of block.split("\n")) {
        if (line.startsWith("event:")) name = line.slice(6).trim();
        else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
      }
      if (data.length) yield [name, JSON.parse(data.join("\n"))];
    }
  }
}

function finish(result) {
  const cited = new Set(result.citations.map((c) => c.ref));
  answer.replaceChildren(...withLinks(result.answer || "", cited));
  answer.hidden = !result.answer;
  note.textContent = result.note || "";
  note.hidden = !result.note;
  list.replaceChildren(...result.citations.map(sourceItem));
}

async function ask(question) {
  error.hidden = true;
  box.hidden = false;
  answer.hidden = false;
  answer.textContent = "…";
  note.hidden = true;
  list.replaceChildren();
  button.disabled = true;
  try {
    const response = await api("/v1/ask", {
      method: "POST",
      json: { question },
      headers: { Accept: "text/event-stream" },
      raw: true,
    });
    let text = "";
    for await (const [name, data] of events(response)) {
      if (name === "delta") {
        text += data.text;
        answer.textContent = text;
      } else if (name === "answer") {
        finish(data);
      } else if (name === "error") {
        throw new ApiError(data.status, data);
      }
    }
  } catch (failure) {
    box.hidden = true;
    if (failure instanceof ApiError && [404, 422, 503].includes(failure.status)) {
      error.textContent = failure.message;
      error.hidden = false;
    } else {
      sayError(failure, "Ask");
    }
  } finally {
    button.disabled = false;
  }
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const question = new FormData(form).get("question").trim();
  if (question) ask(question);
});
