// The page image of the viewer with one SVG box per recognised word over it: shading by
// confidence, the low-confidence threshold, a tooltip, lit lines and field highlights.
import { el } from "./api.js";

/**
 * A page of the json result as the viewer uses it: its words in reading order (their
 * index is the `N` of a field's `p<page>wN` word id) and its lines, each with its words.
 */
export function pageModel(page) {
  const words = [];
  const lines = [];
  page.blocks.forEach((block, blockIndex) => {
    block.lines.forEach((line, lineIndex) => {
      const entry = { index: lines.length, block: blockIndex, firstOfBlock: lineIndex === 0, words: [] };
      for (const word of line.words) {
        entry.words.push(words.length);
        words.push({ ...word, index: words.length, line: entry.index });
      }
      lines.push(entry);
    });
  });
  return { page, words, lines };
}

function percent(confidence) {
  return `${Math.round(confidence * 100)}%`;
}

export class Overlay {
  /** `onPick(lineIndex)` is called when a word's box is clicked. */
  constructor({ frame, image, svg, tooltip, onPick }) {
    Object.assign(this, { frame, image, svg, tooltip, onPick });
    this.model = null;
    this.threshold = 0.7;
    this.boxes = [];
    this.lit = [];
    svg.addEventListener("mouseover", (event) => this.hover(event));
    svg.addEventListener("mousemove", (event) => this.place(event));
    svg.addEventListener("mouseleave", () => {
      this.tooltip.hidden = true;
    });
    svg.addEventListener("click", (event) => {
      const word = this.wordOf(event.target);
      if (word) this.onPick(word.line);
    });
  }

  /** Show a page: `model` from pageModel, `src` its image (or null when there is none). */
  show(model, src, alt) {
    this.model = model;
    const { width, height } = model.page;
    this.svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
    // Until the image arrives the frame keeps the page's shape, so nothing below jumps.
    this.frame.style.aspectRatio = `${width} / ${height}`;
    this.image.alt = alt;
    if (src) this.image.src = src;
    else this.image.removeAttribute("src");
    this.boxes = model.words.map((word) => {
      const { x0, y0, x1, y1 } = word.bbox;
      return el("rect", {
        svg: true,
        class: "word-box",
        x: x0,
        y: y0,
        width: Math.max(1, x1 - x0),
        height: Math.max(1, y1 - y0),
        style: `--doubt: ${(1 - word.confidence).toFixed(3)}`,
        dataset: { word: String(word.index), line: String(word.line) },
      });
    });
    this.fields = el("g", { svg: true, class: "field-layer" });
    this.svg.replaceChildren(el("g", { svg: true, class: "word-layer" }, this.boxes), this.fields);
    this.lit = [];
    this.setThreshold(this.threshold);
  }

  /** Mark the words whose confidence is below `threshold` (0-1). */
  setThreshold(threshold) {
    this.threshold = threshold;
    if (!this.model) return;
    for (const word of this.model.words) {
      this.boxes[word.index].classList.toggle("low", word.confidence < threshold);
    }
  }

  /** Light the boxes of one line (or none with `null`); returns the first box lit. */
  light(lineIndex) {
    for (const box of this.lit) box.classList.remove("lit");
    this.lit = lineIndex === null ? [] : this.model.lines[lineIndex].words.map((index) => this.boxes[index]);
    for (const box of this.lit) box.classList.add("lit");
    return this.lit[0] || null;
  }

  /** Draw `.field-box` rects over the words of a field (word indexes on this page). */
  highlight(indexes) {
    const rects = indexes
      .map((index) => this.model.words[index])
      .filter(Boolean)
      .map((word) => {
        const { x0, y0, x1, y1 } = word.bbox;
        return el("rect", { svg: true, class: "field-box", x: x0, y: y0, width: x1 - x0, height: y1 - y0 });
      });
    this.fields.replaceChildren(...rects);
    return rects[0] || null;
  }

  wordOf(target) {
    const index = target?.dataset?.word;
    return index === undefined ? null : this.model.words[Number(index)];
  }

  hover(event) {
    const word = this.wordOf(event.target);
    if (!word) {
      this.tooltip.hidden = true;
      return;
    }
    this.tooltip.textContent = `${word.text} · ${percent(word.confidence)}`;
    this.tooltip.hidden = false;
    this.place(event);
  }

  /** Keep the tooltip beside the pointer, inside the frame. */
  place(event) {
    if (this.tooltip.hidden) return;
    const frame = this.frame.getBoundingClientRect();
    const x = Math.min(event.clientX - frame.left + 12, frame.width - this.tooltip.offsetWidth - 4);
    const y = event.clientY - frame.top + 16;
    this.tooltip.style.left = `${Math.max(0, x)}px`;
    this.tooltip.style.top = `${y}px`;
  }
}

/** Scroll `node` into view if it is outside it, without moving the page needlessly. */
export function reveal(node) {
  node?.scrollIntoView({ block: "nearest", inline: "nearest", behavior: "smooth" });
}
