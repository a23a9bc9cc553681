// A word diff: the longest common subsequence of two lists of words, as runs of kept,
// deleted (only in the first) and inserted (only in the second) words.

// Past this many cells the table would take too much memory and time in a page.
const MAX_CELLS = 25_000_000;

/**
 * Diff two arrays of words. Returns [{op: "same" | "del" | "ins", a, b}] in reading order,
 * with `a` an index into `left` (same, del) and `b` into `right` (same, ins); null if the
 * texts are too long to compare here.
 */
export function diffWords(left, right, equal = (x, y) => x === y) {
  // Equal heads and tails need no table: most readings agree on most words.
  let start = 0;
  while (start < left.length && start < right.length && equal(left[start], right[start])) start += 1;
  let endL = left.length;
  let endR = right.length;
  while (endL > start && endR > start && equal(left[endL - 1], right[endR - 1])) {
    endL -= 1;
    endR -= 1;
  }
  const n = endL - start;
  const m = endR - start;
  if ((n + 1) * (m + 1) > MAX_CELLS) return null;

  // lengths[i][j]: LCS of left[start+i..endL) and right[start+j..endR), row-major.
  const width = m + 1;
  const lengths = new Uint32Array((n + 1) * width);
  for (let i = n - 1; i >= 0; i -= 1) {
    for (let j = m - 1; j >= 0; j -= 1) {
      lengths[i * width + j] = equal(left[start + i], right[start + j])
        ? lengths[(i + 1) * width + j + 1] + 1
        : Math.max(lengths[(i + 1) * width + j], lengths[i * width + j + 1]);
    }
  }

  const ops = [];
  for (let k = 0; k < start; k += 1) ops.push({ op: "same", a: k, b: k });
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && equal(left[start + i], right[start + j])) {
      ops.push({ op: "same", a: start + i, b: start + j });
      i += 1;
      j += 1;
    } else if (i < n && (j === m || lengths[(i + 1) * width + j] >= lengths[i * width + j + 1])) {
      // Where both would do, the word taken out comes before the word put in, as it reads.
      ops.push({ op: "del", a: start + i, b: null });
      i += 1;
    } else {
      ops.push({ op: "ins", a: null, b: start + j });
      j += 1;
    }
  }
  for (let k = 0; k < left.length - endL; k += 1) ops.push({ op: "same", a: endL + k, b: endR + k });
  return ops;
}

/** The text as tokens: each word with the spaces and line breaks that follow it. */
export function tokens(text) {
  const found = [];
  for (const match of (text || "").matchAll(/(\S+)(\s*)/g)) found.push({ word: match[1], space: match[2] });
  return found;
}
