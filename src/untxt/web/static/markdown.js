// A small markdown renderer for what untxt's own markdown holds (page marks, headings,
// paragraphs with line breaks, pipe tables, simple lists): DOM built with el(), so
// recognised text is only ever text, never HTML.
import { el } from "./api.js";

const PAGE_MARK = /^<!-- page (\d+) -->$/;
const HEADING = /^(#{1,6})\s+(.*)$/;
const TABLE_RULE = /^\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?$/;
const LIST_ITEM = /^(?:[-*+]|\d+[.)])\s+(.*)$/;

/** The text of a markdown line as written: backslash escapes removed. */
export function unescape(text) {
  return text.replace(/\\([\\`*_{}[\]()#+\-.!|<>~])/g, "$1");
}

/** The cells of a table row, split at pipes that are not escaped. */
export function cells(line) {
  let row = line.trim();
  if (row.startsWith("|")) row = row.slice(1);
  if (row.endsWith("|") && !row.endsWith("\\|")) row = row.slice(0, -1);
  const found = [];
  let current = "";
  for (let i = 0; i < row.length; i += 1) {
    if (row[i] === "\\" && i + 1 < row.length) {
      current += row[i] + row[i + 1];
      i += 1;
    } else if (row[i] === "|") {
      found.push(current);
      current = "";
    } else {
      current += row[i];
    }
  }
  found.push(current);
  return found.map((cell) => unescape(cell.trim()));
}

function isTableStart(lines, i) {
  return lines[i].trim().startsWith("|") && i + 1 < lines.length && TABLE_RULE.test(lines[i + 1].trim());
}

function table(rows) {
  const [head, ...rest] = rows;
  return el(
    "table",
    {},
    el("thead", {}, el("tr", {}, head.map((text) => el("th", { scope: "col" }, text)))),
    el("tbody", {}, rest.map((row) => el("tr", {}, row.map((text) => el("td", {}, text))))),
  );
}

/** Lines joined with <br>, as untxt keeps a block's lines apart within its paragraph. */
function withBreaks(lines) {
  const parts = [];
  lines.forEach((line, i) => {
    if (i) parts.push(el("br"));
    parts.push(unescape(line));
  });
  return parts;
}

/** Render `source` into a DocumentFragment. */
export function renderMarkdown(source) {
  const out = document.createDocumentFragment();
  const lines = source.replace(/\r\n?/g, "\n").split("\n");
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    const trimmed = line.trim();
    if (!trimmed) {
      i += 1;
      continue;
    }
    const mark = PAGE_MARK.exec(trimmed);
    if (mark) {
      out.append(el("p", { class: "page-mark" }, `Page ${mark[1]}`));
      i += 1;
      continue;
    }
    const heading = HEADING.exec(trimmed);
    if (heading) {
      // Page headings sit under the viewer's own h2s.
      const level = Math.min(6, heading[1].length + 2);
      out.append(el(`h${level}`, {}, unescape(heading[2])));
      i += 1;
      continue;
    }
    if (isTableStart(lines, i)) {
      const rows = [cells(line)];
      i += 2;
      while (i < lines.length && lines[i].trim().startsWith("|")) {
        rows.push(cells(lines[i]));
        i += 1;
      }
      out.append(el("div", { class: "table-wrap" }, table(rows)));
      continue;
    }
    if (LIST_ITEM.test(trimmed)) {
      const ordered = /^\d/.test(trimmed);
      const items = [];
      while (i < lines.length && LIST_ITEM.test(lines[i].trim())) {
        items.push(el("li", {}, unescape(LIST_ITEM.exec(lines[i].trim())[1])));
        i += 1;
      }
      out.append(el(ordered ? "ol" : "ul", {}, items));
      continue;
    }
    const paragraph = [];
    while (i < lines.length && lines[i].trim() && !PAGE_MARK.test(lines[i].trim()) && !HEADING.test(lines[i].trim()) && !isTableStart(lines, i)) {
      paragraph.push(lines[i].trim());
      i += 1;
    }
    out.append(el("p", {}, withBreaks(paragraph)));
  }
  return out;
}
