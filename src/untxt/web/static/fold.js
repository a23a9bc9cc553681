// Words as search matches them: case and accents folded (hóa đơn → hoa don), so that the
// page lights the same words the server's index matched.

/** `text` lowercased, without accents; đ, which has none to strip, becomes d. */
export function fold(text) {
  return text
    .normalize("NFD")
    .replace(/\p{Mn}+/gu, "")
    .replace(/[đĐ]/g, "d")
    .toLowerCase();
}

/**
 * The terms of a search query a page's words are lit for: its words and quoted phrases'
 * words, folded, without field filters (`vendor:aeon`, `total>100`) or operators; a
 * trailing `*` keeps its word a prefix.
 */
export function queryTerms(query) {
  const terms = [];
  for (const token of query.replace(/"/g, " ").split(/\s+/)) {
    if (!token || /[:<>=]/.test(token) || /^(AND|OR|NOT)$/.test(token)) continue;
    const prefix = token.endsWith("*");
    const word = fold(token.replace(/\*+$/, "")).replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, "");
    if (word) terms.push({ word, prefix });
  }
  return terms;
}

/** Whether a word of a page matches one of `terms` (trailing punctuation ignored). */
export function matches(text, terms) {
  const word = fold(text).replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, "");
  return terms.some((term) => (term.prefix ? word.startsWith(term.word) : word === term.word));
}
