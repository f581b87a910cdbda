const maxCodePoint = 0x10ffff;

/**
 * The smallest key greater than every key that starts with `prefix`, in UTF-8 byte order (= code point
 * order, SQLite's BINARY collation); `undefined` when no such bound exists (empty prefix, or only U+10FFFF).
 * Scans use `key >= prefix AND key < prefixEnd(prefix)`, which an index range serves.
 */
export function prefixEnd(prefix: string): string | undefined {
  const codePoints = Array.from(prefix, (char) => char.codePointAt(0)!);
  while (codePoints.length > 0) {
    const last = codePoints.pop()!;
    if (last === maxCodePoint) continue;
    // A lone surrogate is stored as U+FFFD; U+D7FF is followed by U+E000 (surrogates are no code points).
    const stored = last >= 0xd800 && last <= 0xdfff ? 0xfffd : last;
    const next = stored === 0xd7ff ? 0xe000 : stored + 1;
    return String.fromCodePoint(...codePoints, next);
  }
  return undefined;
}
