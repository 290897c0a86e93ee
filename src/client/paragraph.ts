/**
 * The paragraph (text between blank lines) around `offset`; on a blank line, the next paragraph, else the one
 * before. Offsets are UTF-16, as VS Code counts them. Undefined when the text has no non-blank line.
 */
export function paragraphAt(text: string, offset: number): { start: number; end: number } | undefined {
  const blank = /\n[ \t]*\n/g;
  const bounds: { start: number; end: number }[] = [];
  let from = 0;
  for (let m = blank.exec(text); m; m = blank.exec(text)) {
    bounds.push({ start: from, end: m.index });
    from = m.index + m[0].length;
  }
  bounds.push({ start: from, end: text.length });
  const paragraphs = bounds.map(trim(text)).filter((p) => p.end > p.start);
  if (paragraphs.length === 0) return undefined;
  return paragraphs.find((p) => offset <= p.end) ?? paragraphs[paragraphs.length - 1];
}

function trim(text: string) {
  return ({ start, end }: { start: number; end: number }) => {
    while (start < end && /\s/.test(text[start])) start++;
    while (end > start && /\s/.test(text[end - 1])) end--;
    return { start, end };
  };
}
