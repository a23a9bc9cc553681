// The viewer's text side: an ARIA tablist over the page's lines (clickable, low-confidence
// words marked), the rendered markdown and the pretty JSON, the latter two made on demand.
import { api, el } from "./api.js";
import { renderMarkdown } from "./markdown.js";

/** Tabs with the keyboard behaviour of the ARIA pattern (arrows, Home, End). */
export function setUpTabs(tablist, onSelect) {
  const tabs = [...tablist.querySelectorAll('[role="tab"]')];
  const select = (tab) => {
    for (const other of tabs) {
      const chosen = other === tab;
      other.setAttribute("aria-selected", String(chosen));
      other.tabIndex = chosen ? 0 : -1;
      document.getElementById(other.getAttribute("aria-controls")).hidden = !chosen;
    }
    onSelect(tab.id.replace(/^tab-/, ""));
  };
  for (const tab of tabs) {
    tab.addEventListener("click", () => select(tab));
    tab.addEventListener("keydown", (event) => {
      const at = tabs.indexOf(tab);
      const to = { ArrowRight: at + 1, ArrowLeft: at - 1, Home: 0, End: tabs.length - 1 }[event.key];
      if (to === undefined) return;
      event.preventDefault();
      const next = tabs[(to + tabs.length) % tabs.length];
      next.focus();
      select(next);
    });
  }
}

export class TextPane {
  /** `onPick(lineIndex)` is called when a line is chosen (click, Enter or Space). */
  constructor({ jobId, outputs, onPick }) {
    Object.assign(this, { jobId, outputs, onPick });
    this.list = document.getElementById("lines");
    this.items = [];
    this.made = new Set();
    this.threshold = 0.7;
    this.list.addEventListener("click", (event) => this.pick(event.target));
    this.list.addEventListener("keydown", (event) => {
      if (event.key !== "Enter" && event.key !== " ") return;
      event.preventDefault();
      this.pick(event.target);
    });
  }

  pick(target) {
    const item = target.closest?.("li[data-line]");
    if (item) this.onPick(Number(item.dataset.line));
  }

  /** The lines of one page (a pageModel). */
  show(model) {
    this.model = model;
    this.items = model.lines.map((line) =>
      el(
        "li",
        { tabindex: "0", class: line.firstOfBlock && line.index ? "block-start" : undefined, dataset: { line: String(line.index) } },
        line.words.flatMap((index, at) => {
          const word = model.words[index];
          const span = el("span", { dataset: { word: String(index) } }, word.text);
          return at ? [" ", span] : [span];
        }),
      ),
    );
    if (!this.items.length) this.items = [el("li", { class: "muted" }, "No text was found on this page.")];
    this.list.replaceChildren(...this.items);
    this.setThreshold(this.threshold);
  }

  /** Mark the words below `threshold`, as their boxes are marked. */
  setThreshold(threshold) {
    this.threshold = threshold;
    for (const span of this.list.querySelectorAll("span[data-word]")) {
      const word = this.model.words[Number(span.dataset.word)];
      span.classList.toggle("low-word", word.confidence < threshold);
      span.title = `${Math.round(word.confidence * 100)}% sure`;
    }
  }

  /** Light one line (or none); returns its item. */
  light(lineIndex) {
    for (const item of this.list.querySelectorAll("li.lit")) item.classList.remove("lit");
    const item = lineIndex === null ? null : this.list.querySelector(`li[data-line="${lineIndex}"]`);
    item?.classList.add("lit");
    return item;
  }

  /** Fill a tab the first time it is shown. */
  async open(name, doc) {
    if (this.made.has(name) || name === "text") return;
    this.made.add(name);
    if (name === "json") {
      document.getElementById("json").textContent = JSON.stringify(doc, null, 2);
      return;
    }
    const panel = document.getElementById("panel-markdown");
    if (!this.outputs.includes("markdown")) {
      panel.replaceChildren(el("p", { class: "muted" }, "This job did not store markdown."));
      return;
    }
    panel.replaceChildren(el("p", { class: "muted" }, "Loading…"));
    try {
      const response = await api(`/v1/jobs/${this.jobId}/result?format=markdown`, { raw: true });
      panel.replaceChildren(renderMarkdown(await response.text()));
    } catch (error) {
      this.made.delete(name);
      panel.replaceChildren(el("p", { class: "error" }, `The markdown could not be read: ${error.message}`));
    }
  }
}
