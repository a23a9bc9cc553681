// Search (/search): GET /v1/search over every page the user's jobs read; each hit shows
// its words around the match, marked, and opens the viewer on that page with them lit.
import { ApiError, api, el, latestOnly, sayError } from "./api.js";
import "./ask.js";

const PAGE_SIZE = 20;

const form = document.getElementById("search");
const list = document.getElementById("hits");
const count = document.getElementById("hit-count");
const error = document.getElementById("search-error");
const more = document.getElementById("more");

let next = null;
let asked = null;
const nextSearch = latestOnly();

/** The snippet as text nodes and <mark>s at the API's [start, end) offsets. */
function marked(snippet, highlights) {
  const parts = [];
  let at = 0;
  for (const [start, end] of [...highlights].sort((a, b) => a[0] - b[0])) {
    if (start < at) continue;
    parts.push(snippet.slice(at, start), el("mark", {}, snippet.slice(start, end)));
    at = end;
  }
  parts.push(snippet.slice(at));
  return parts;
}

function hitItem(hit, query) {
  const href = `/jobs/${encodeURIComponent(hit.job_id)}?page=${hit.page}&find=${encodeURIComponent(query)}`;
  return el(
    "li",
    { class: "hit", dataset: { job: hit.job_id } },
    el("a", { href, class: "hit-title" }, `${hit.filename}, page ${hit.page}`),
    el("p", { class: "snippet" }, marked(hit.snippet, hit.highlights)),
  );
}

function params() {
  const out = new URLSearchParams();
  for (const [name, value] of new FormData(form)) {
    const text = String(value).trim();
    if (text) out.set(name, text);
  }
  return out;
}

async function run(append) {
  const query = params();
  if (!query.get("q")) return;
  query.set("limit", String(PAGE_SIZE));
  if (append && next) query.set("cursor", next);
  error.hidden = true;
  const current = nextSearch();
  try {
    const page = await api(`/v1/search?${query}`);
    if (!current()) return;
    if (!append) {
      list.replaceChildren();
      asked = query.get("q");
      // The address holds the search, so that it can be shared and reloaded.
      const shown = new URLSearchParams(query);
      shown.delete("limit");
      history.replaceState(null, "", `/search?${shown}`);
    }
    list.append(...page.items.map((hit) => hitItem(hit, asked)));
    next = page.next_cursor;
    more.hidden = !next;
    const shown = list.children.length;
    count.textContent = shown ? `${shown}${next ? "+" : ""} page${shown === 1 ? "" : "s"}` : "No page matches.";
  } catch (failure) {
    if (!current()) return;
    if (failure instanceof ApiError && failure.status === 422) {
      error.textContent = failure.message;
      error.hidden = false;
      list.replaceChildren();
      count.textContent = "";
      more.hidden = true;
    } else {
      sayError(failure, "Search");
    }
  }
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  run(false);
});
more.addEventListener("click", () => run(true));

// Opened with a search in the address (a shared link, a reload): run it.
const initial = new URLSearchParams(location.search);
for (const [name, value] of initial) {
  if (form.elements[name]) form.elements[name].value = value;
}
if (initial.get("q")) run(false);
document.getElementById("q").focus();
