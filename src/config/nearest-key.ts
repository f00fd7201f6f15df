// "Did you mean ...?" for a key certgate does not know: the known key nearest in edit
// distance, when it is near enough to be a slip rather than another product's key.

/** Levenshtein distance, one row at a time (keys are short). */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      row.push(Math.min(previous[j]! + 1, row[j - 1]! + 1, substitution));
    }
    previous = row;
  }
  return previous[b.length]!;
}

/**
 * The known key nearest to `key` within `within` edits (two by default: a typo, a
 * missing "s"), or undefined. A key that differs only in case or in "-" for "_" is
 * always near.
 */
export function nearestKey(key: string, known: readonly string[], within = 2): string | undefined {
  const folded = key.toLowerCase().replaceAll("-", "_");
  let best: { key: string; distance: number } | undefined;
  for (const candidate of known) {
    const distance = candidate === folded ? 0 : editDistance(folded, candidate);
    if (distance <= within && (best === undefined || distance < best.distance)) best = { key: candidate, distance };
  }
  return best?.key;
}
