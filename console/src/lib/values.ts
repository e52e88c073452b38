/** Turns what the user typed into a value: JSON for lists and objects, else the text. */
export function parseValue(raw: string): unknown {
  const trimmed = raw.trim();
  if (/^[[{]/.test(trimmed)) {
    try {
      return JSON.parse(trimmed);
    } catch {
      return raw;
    }
  }
  return raw;
}

/** The values to send for these variables; empty inputs are left out. */
export function variableValues(names: string[], values: Record<string, string>) {
  const out: Record<string, unknown> = {};
  for (const name of names) {
    const raw = values[name];
    if (raw !== undefined && raw !== "") out[name] = parseValue(raw);
  }
  return out;
}
