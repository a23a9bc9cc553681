// Uploads of the jobs page: the options form (defaults from the API), files dropped
// anywhere on the page or picked, each sent as its own POST /v1/ocr.
import { ApiError, api, formatBytes } from "./api.js";

// What the API has always offered, for a server that does not answer GET /v1/options.
const FALLBACK = {
  defaults: { engine: "auto", languages: ["eng"], mode: "document", resolution: "base", extract: [], priority: 5 },
  modes: ["document", "handwritten", "general", "figure"],
  resolutions: [
    { name: "tiny", dpi: 100 }, { name: "small", dpi: 200 }, { name: "base", dpi: 300 },
    { name: "large", dpi: 400 }, { name: "gundam", dpi: 600 },
  ],
  extract: ["auto", "invoice", "receipt", "utility_bill"],
  priority: { min: 0, max: 10 },
};
const EXTRACT_WORDS = {
  "": "No fields",
  auto: "Any type (auto)",
  invoice: "Invoice",
  receipt: "Receipt",
  utility_bill: "Utility bill",
};
const ACCEPTED = /^(image\/(png|jpeg|tiff|bmp|gif|webp)|application\/pdf)$/;
const ACCEPTED_NAME = /\.(pdf|png|jpe?g|tiff?|bmp|gif|webp)$/i;

const form = document.getElementById("upload");
const picker = document.getElementById("files");
const optionsError = document.getElementById("options-error");
const summary = document.getElementById("options-summary");

let choices = FALLBACK;
/** Settled once the form holds the server's options (or the fallback's). */
let ready = Promise.resolve();

/** Values of a list that may hold names or `{name, ...}` objects. */
function names(list) {
  return (list || []).map((item) => (typeof item === "string" ? item : item.name ?? item.value));
}

/** `{name: dpi}` or a list of names or `{name, dpi}`, as `[{name, dpi}]`. */
function presets(value) {
  if (!value) return FALLBACK.resolutions;
  if (Array.isArray(value)) return value.map((r) => (typeof r === "string" ? { name: r, dpi: null } : r));
  return Object.entries(value).map(([name, dpi]) => ({ name, dpi }));
}

/** The options the server offers (GET /v1/options), or what an older server's engines allow. */
async function loadChoices() {
  try {
    const offered = await api("/v1/options");
    return {
      defaults: { ...FALLBACK.defaults, ...(offered.defaults || {}) },
      engines: offered.engines,
      autoEngine: offered.auto_engine,
      modes: offered.modes || FALLBACK.modes,
      resolutions: presets(offered.resolutions),
      extract: offered.extract || FALLBACK.extract,
      priority: offered.priority || FALLBACK.priority,
      limits: offered.limits || {},
    };
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 404) throw error;
    return { ...FALLBACK, engines: await api("/v1/engines"), limits: {} };
  }
}

function option(value, text, selected, disabled = false) {
  const node = new Option(text, value, selected, selected);
  node.disabled = disabled;
  return node;
}

function fill(select, entries) {
  select.replaceChildren(...entries);
}

/** Put the offered choices and their defaults into the form. */
function render() {
  const d = choices.defaults;
  const engines = (choices.engines || []).map((engine) => (typeof engine === "string" ? { name: engine, available: true } : engine));
  fill(form.engine, [
    option("auto", choices.autoEngine ? `auto (${choices.autoEngine})` : "auto", d.engine === "auto"),
    ...engines.filter((e) => e.name !== "auto").map((e) =>
      option(e.name, e.available === false ? `${e.name} (not installed)` : e.name, d.engine === e.name, e.available === false),
    ),
  ]);
  const languages = new Set(names(choices.languages));
  for (const engine of engines) for (const code of engine.languages || []) languages.add(code);
  document.getElementById("o-language-list").replaceChildren(...[...languages].sort().map((code) => new Option(code)));
  form.languages.value = d.languages.join(", ");
  fill(form.mode, names(choices.modes).map((mode) => option(mode, mode, mode === d.mode)));
  fill(
    form.resolution,
    choices.resolutions.map(({ name, dpi }) => option(name, dpi ? `${name} (${dpi} DPI)` : name, name === d.resolution)),
  );
  const current = (d.extract || [])[0] || "";
  fill(form.extract, ["", ...names(choices.extract)].map((name) => option(name, EXTRACT_WORDS[name] || name, name === current)));
  const { min = 0, max = 10 } = choices.priority;
  Object.assign(form.priority, { min, max, value: d.priority });
  document.getElementById("o-priority-range").textContent = `${min}–${max}, higher first`;
  showSummary();
}

/** The closed options' one-line reminder of what will be sent. */
function showSummary() {
  const parts = [form.engine.value, form.languages.value, form.mode.value, form.resolution.value];
  if (form.extract.value) parts.push(`fields: ${form.extract.value}`);
  if (form.pdf.checked) parts.push("searchable PDF");
  summary.textContent = `(${parts.filter(Boolean).join(" · ")})`;
}

/** The job options the form holds, or throws an Error in words. */
function currentOptions() {
  const languages = form.languages.value.split(/[\s,+]+/).filter(Boolean);
  if (!languages.length) throw new Error("name at least one language, such as eng");
  const most = choices.limits?.max_languages;
  if (most && languages.length > most) throw new Error(`name at most ${most} languages`);
  const priority = Number(form.priority.value);
  if (!Number.isInteger(priority) || priority < Number(form.priority.min) || priority > Number(form.priority.max)) {
    throw new Error(`priority must be a whole number from ${form.priority.min} to ${form.priority.max}`);
  }
  const options = {
    engine: form.engine.value,
    languages,
    mode: form.mode.value,
    resolution: form.resolution.value,
    extract: form.extract.value ? [form.extract.value] : [],
    priority,
  };
  if (form.pdf.checked) {
    // The formats stored by default, and the searchable PDF besides.
    const stored = choices.defaults.outputs || ["json", "text", "markdown", "hocr", "alto", "html"];
    options.outputs = [...new Set([...stored, "pdf"])];
  }
  return options;
}

/** Whether the browser says a file is one the API reads (the API has the last word). */
function looksReadable(file) {
  return ACCEPTED.test(file.type) || ACCEPTED_NAME.test(file.name);
}

/**
 * Send each file as its own job. `hooks.started(file)` returns a handle for the row that
 * stands for it; `hooks.submitted(handle, job)` and `hooks.refused(handle, words)` end it.
 */
async function submitAll(files, hooks) {
  // A file dropped before the server's options arrived waits for them: the form is
  // empty until then.
  await ready;
  let options;
  try {
    options = currentOptions();
    optionsError.hidden = true;
  } catch (error) {
    optionsError.textContent = error.message;
    optionsError.hidden = false;
    document.getElementById("options").open = true;
    return;
  }
  await Promise.all(
    [...files].map(async (file) => {
      const handle = hooks.started(file);
      if (!looksReadable(file)) {
        hooks.refused(handle, "not an image or PDF");
        return;
      }
      const largest = choices.limits?.max_upload_bytes;
      if (largest && file.size > largest) {
        hooks.refused(handle, `${formatBytes(file.size)} is more than this server takes (${formatBytes(largest)})`);
        return;
      }
      const body = new FormData();
      body.append("file", file, file.name);
      body.append("options", JSON.stringify(options));
      try {
        hooks.submitted(handle, await api("/v1/ocr", { method: "POST", form: body }));
      } catch (error) {
        hooks.refused(handle, error instanceof ApiError ? error.message : String(error));
      }
    }),
  );
}

/** Whether a drag carries files (not text or a link dragged within the page). */
function carriesFiles(event) {
  return [...(event.dataTransfer?.types || [])].includes("Files");
}

/** Wire the form, the picker and page-wide dropping; `hooks` as for submitAll. */
export async function setUpUploads(hooks) {
  let depth = 0;
  document.addEventListener("dragenter", (event) => {
    if (!carriesFiles(event)) return;
    event.preventDefault();
    depth += 1;
    document.body.classList.add("dragging");
  });
  document.addEventListener("dragover", (event) => {
    if (!carriesFiles(event)) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "copy";
  });
  document.addEventListener("dragleave", () => {
    depth = Math.max(0, depth - 1);
    if (!depth) document.body.classList.remove("dragging");
  });
  document.addEventListener("drop", (event) => {
    depth = 0;
    document.body.classList.remove("dragging");
    if (!event.dataTransfer?.files?.length) return;
    event.preventDefault();
    submitAll(event.dataTransfer.files, hooks);
  });
  picker.addEventListener("change", () => {
    const files = [...picker.files];
    picker.value = ""; // the same file may be picked again
    if (files.length) submitAll(files, hooks);
  });
  form.addEventListener("submit", (event) => event.preventDefault());
  form.addEventListener("input", showSummary);
  ready = (async () => {
    try {
      choices = await loadChoices();
    } catch (error) {
      optionsError.textContent = `The server's options could not be read (${error.message}); the usual defaults are shown.`;
      optionsError.hidden = false;
    }
    render();
  })();
  await ready;
}
