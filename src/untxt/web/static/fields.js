// The viewer's fields pane: each extracted field with its value and confidence, its
// source words lit on the page while it is hovered or focused, edited in place (a
// correction through PATCH /v1/jobs/{id}/fields), the items table and the CSV export.
import { api, el, say, sayError } from "./api.js";

const NUMERIC = new Set(["amount", "number", "rate"]);
const TYPE_WORDS = { invoice: "Invoice", receipt: "Receipt", utility_bill: "Utility bill", other: "Other document" };

/** "InvoiceTotal" -> "Invoice total", "IBAN" stays. */
export function humanName(name) {
  return name.replace(/([a-z])([A-Z])/g, "$1 $2").replace(/ ([A-Z])(?=[a-z])/g, (_, c) => ` ${c.toLowerCase()}`);
}

function percent(value) {
  return value === null || value === undefined ? "" : `${Math.round(value * 100)}%`;
}

/** `p1w12` -> {page: 1, index: 12}. */
export function wordRef(id) {
  const match = /^p(\d+)w(\d+)$/.exec(id);
  return match ? { page: Number(match[1]), index: Number(match[2]) } : null;
}

/** The typed value a user wrote for a field of `type` (null clears it); throws in words. */
function parseValue(text, type) {
  const trimmed = text.trim();
  if (!trimmed) return null;
  if (NUMERIC.has(type)) {
    // Thousands separators as printed are dropped; a decimal comma is not guessed at.
    const plain = trimmed.replace(/[\s,]/g, "");
    if (!/^[-+]?(\d+\.?\d*|\.\d+)$/.test(plain)) throw new Error("a number is needed, such as 1234.50");
    return Number(plain);
  }
  return trimmed;
}

function inputFor(field, id, label) {
  const type = field.type === "date" ? "date" : field.type === "time" ? "time" : "text";
  const input = el("input", {
    id,
    type,
    step: type === "time" ? "1" : undefined,
    inputmode: NUMERIC.has(field.type) ? "decimal" : undefined,
    "aria-label": label,
    autocomplete: "off",
    spellcheck: "false",
  });
  input.value = field.value === null || field.value === undefined ? "" : String(field.value);
  return input;
}

export class FieldsPane {
  /**
   * `show(words)` lights a field's source words (their `p<page>w<index>` ids) on the page,
   * `hide()` puts them out.
   */
  constructor(jobId, { show, hide }) {
    Object.assign(this, { jobId, show, hide });
    this.pane = document.getElementById("fields-pane");
    this.body = document.getElementById("fields-body");
    this.data = null;
  }

  /** Fetch the job's fields and show them; a job that extracted none keeps the pane hidden. */
  async load() {
    this.data = await api(`/v1/jobs/${this.jobId}/fields`);
    const csv = document.getElementById("fields-csv");
    csv.href = `/v1/jobs/${this.jobId}/fields?format=csv`;
    csv.download = `${this.jobId}-fields.csv`;
    this.render();
    this.pane.hidden = false;
  }

  render() {
    const data = this.data;
    const kind = TYPE_WORDS[data.document_type] || data.document_type;
    document.getElementById("fields-type").textContent = `${kind}, ${percent(data.type_confidence)} sure of the type`;
    const rows = Object.entries(data.fields || {}).map(([name, field]) => this.fieldRow(name, field));
    this.body.replaceChildren(...rows);
    if (!rows.length) {
      this.body.append(el("tr", {}, el("td", { colspan: "3", class: "muted" }, "No fields were found on this document.")));
    }
    this.renderItems(data.items || []);
    const warnings = document.getElementById("fields-warnings");
    warnings.replaceChildren(...(data.warnings || []).map((text) => el("li", {}, text)));
    warnings.hidden = !(data.warnings || []).length;
  }

  /** Light `words` while the pointer or the focus is on `node`. */
  follow(node, words) {
    const on = () => this.show(words());
    const off = (event) => {
      if (!node.contains(event.relatedTarget)) this.hide();
    };
    node.addEventListener("mouseenter", on);
    node.addEventListener("focusin", on);
    node.addEventListener("mouseleave", off);
    node.addEventListener("focusout", off);
  }

  fieldRow(name, field) {
    const id = `field-${name.replace(/[^A-Za-z0-9_-]/g, "_")}`;
    const label = humanName(name);
    const input = inputFor(field, id, label);
    const sure = el("td", { class: "num" }, percent(field.confidence));
    const row = el(
      "tr",
      { class: field.correction ? "corrected" : undefined, dataset: { field: name } },
      el("th", { scope: "row" }, el("label", { for: id, title: field.content ? `printed: ${field.content}` : name }, label)),
      el("td", {}, input),
      sure,
    );
    row.field = field;
    this.follow(row, () => row.field.words || []);
    input.addEventListener("change", () => this.save(name, input, field.type, (saved) => {
      row.field = saved.fields?.[name] || { ...row.field, value: null };
      row.classList.add("corrected");
      sure.textContent = percent(row.field.confidence);
    }));
    return row;
  }

  renderItems(items) {
    const wrap = document.getElementById("items");
    wrap.hidden = !items.length;
    if (!items.length) return;
    const columns = [...new Set(items.flatMap((item) => Object.keys(item)))];
    document.getElementById("items-head").replaceChildren(
      el("th", { scope: "col" }, "#"),
      ...columns.map((name) => el("th", { scope: "col" }, humanName(name))),
    );
    document.getElementById("items-body").replaceChildren(
      ...items.map((item, index) => {
        const row = el("tr", {}, el("th", { scope: "row" }, String(index + 1)));
        for (const column of columns) {
          const field = item[column] || { type: "string", value: null };
          const key = `Items/${index}/${column}`;
          const input = inputFor(field, `item-${index}-${column}`, `${humanName(column)} of item ${index + 1}`);
          input.addEventListener("change", () => this.save(key, input, field.type, () => null));
          row.append(el("td", {}, input));
        }
        this.follow(row, () => Object.values(item).flatMap((field) => field.words || []));
        return row;
      }),
    );
  }

  /** Send one correction; `done(extraction)` updates the row once the API took it. */
  async save(name, input, type, done) {
    const words = humanName(name.split("/").at(-1));
    let value;
    try {
      value = parseValue(input.value, type);
    } catch (error) {
      input.setAttribute("aria-invalid", "true");
      sayError(error.message, `${words} was not saved`);
      return;
    }
    input.setAttribute("aria-busy", "true");
    try {
      const saved = await api(`/v1/jobs/${this.jobId}/fields`, { method: "PATCH", json: { fields: { [name]: value } } });
      this.data = saved;
      input.removeAttribute("aria-invalid");
      done(saved);
      say(`Saved ${words}`);
    } catch (error) {
      input.setAttribute("aria-invalid", "true");
      sayError(error, `${words} was not saved`);
    } finally {
      input.removeAttribute("aria-busy");
    }
  }
}
