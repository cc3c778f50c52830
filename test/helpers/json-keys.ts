// The keys of a JSON object as written, duplicates included: JSON.parse keeps
// the last of two equal keys, so a duplicate is only seen in the raw text.

/** Every key of the outermost object of `text`, in order, as written (a repeated key appears twice). */
export function topLevelKeys(text: string): string[] {
  const keys: string[] = [];
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') depth--;
    else if (c === '"') {
      let end = i + 1;
      while (text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      let after = end + 1;
      while (text[after] === ' ') after++;
      if (depth === 1 && text[after] === ':') keys.push(JSON.parse(text.slice(i, end + 1)) as string);
      i = end;
    }
  }
  return keys;
}

/** The keys written more than once at the top level of a JSON line. */
export function duplicateKeys(line: string): string[] {
  const keys = topLevelKeys(line);
  return [...new Set(keys.filter((k, i) => keys.indexOf(k) !== i))];
}
