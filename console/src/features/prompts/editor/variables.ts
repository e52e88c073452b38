// Finds the variables a Jinja template expects, as the user types, without a server
// round trip. The server's /templates/validate answer stays the authority; this is
// the instant first guess, so it errs on the side of the obvious cases.

import type { Content } from "../../../api/types";

const NOT_VARIABLES = new Set(
  (
    "and or not in is if else elif endif for endfor true false none True False None " +
    "loop range dict lipsum cycler joiner namespace recursive set endset with endwith " +
    "without context import from as include ignore missing macro endmacro call endcall " +
    "filter endfilter block endblock extends raw endraw self super caller varargs kwargs " +
    "do break continue autoescape endautoescape trans endtrans pluralize scoped required"
  ).split(" "),
);

type Token = { kind: "name" | "string" | "number" | "op"; text: string };

const TOKEN = /\s*(?:('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")|(\d+(?:\.\d+)?)|([A-Za-z_][A-Za-z0-9_]*)|(==|!=|<=|>=|\*\*|\/\/|[^\s]))/gy;

export function tokenize(expr: string): Token[] {
  const tokens: Token[] = [];
  TOKEN.lastIndex = 0;
  let match: RegExpExecArray | null;
  while (TOKEN.lastIndex < expr.length && (match = TOKEN.exec(expr)) !== null) {
    if (match[1] !== undefined) tokens.push({ kind: "string", text: match[1] });
    else if (match[2] !== undefined) tokens.push({ kind: "number", text: match[2] });
    else if (match[3] !== undefined) tokens.push({ kind: "name", text: match[3] });
    else if (match[4] !== undefined) tokens.push({ kind: "op", text: match[4] });
    else break;
  }
  return tokens;
}

interface Block {
  kind: "expr" | "stmt";
  body: string;
}

/** Splits a template into its {{ … }} and {% … %} bodies, skipping comments and raw blocks. */
export function blocks(template: string): Block[] {
  const out: Block[] = [];
  const open = /\{\{|\{%|\{#/g;
  let match: RegExpExecArray | null;
  while ((match = open.exec(template)) !== null) {
    const start = match.index + 2;
    const close = match[0] === "{{" ? "}}" : match[0] === "{%" ? "%}" : "#}";
    const end = findClose(template, start, close);
    if (end < 0) break;
    open.lastIndex = end + 2;
    if (match[0] === "{#") continue;
    const body = template.slice(start, end).replace(/^[-+]/, "").replace(/[-+]$/, "").trim();
    if (match[0] === "{%" && /^raw\b/.test(body)) {
      const endraw = /\{%-?\s*endraw\s*-?%\}/g;
      endraw.lastIndex = open.lastIndex;
      const found = endraw.exec(template);
      if (!found) break;
      open.lastIndex = found.index + found[0].length;
      continue;
    }
    out.push({ kind: match[0] === "{{" ? "expr" : "stmt", body });
  }
  return out;
}

function findClose(text: string, from: number, close: string): number {
  let quote: string | null = null;
  for (let i = from; i < text.length - 1; i++) {
    const ch = text[i];
    if (quote) {
      if (ch === "\\") i++;
      else if (ch === quote) quote = null;
    } else if (ch === "'" || ch === '"') quote = ch;
    else if (text.startsWith(close, i)) return i;
  }
  return -1;
}

/** Names bound by a statement ({% for x in … %}, {% set x = … %}, macros, imports). */
function bindings(tokens: Token[]): { bound: string[]; exprFrom: number } {
  const tag = tokens[0]?.text;
  const names = (from: number, until: (t: Token) => boolean) => {
    const bound: string[] = [];
    let i = from;
    for (; i < tokens.length; i++) {
      const token = tokens[i];
      if (!token || until(token)) break;
      if (token.kind === "name") bound.push(token.text);
    }
    return { bound, exprFrom: i + 1 };
  };
  switch (tag) {
    case "for":
      return names(1, (t) => t.kind === "name" && t.text === "in");
    case "set":
    case "with": {
      if (!tokens.some((t) => t.text === "=")) return { bound: names(1, () => false).bound, exprFrom: tokens.length };
      if (tag === "set") return names(1, (t) => t.text === "=");
      // {% with a = x, b = y %}: every name before an "=" is bound
      const bound = tokens.filter((t, i) => t.kind === "name" && tokens[i + 1]?.text === "=").map((t) => t.text);
      return { bound, exprFrom: 1 };
    }
    case "macro":
    case "call": {
      const bound = tokens.slice(1).filter((t, i, rest) => {
        const prev = rest[i - 1]?.text;
        return t.kind === "name" && (i === 0 || prev === "(" || prev === ",");
      });
      return { bound: bound.map((t) => t.text), exprFrom: tokens.length };
    }
    case "import":
    case "from":
      return { bound: names(1, () => false).bound, exprFrom: tokens.length };
    case "filter":
      return { bound: [], exprFrom: tokens.length };
    default:
      return { bound: [], exprFrom: 1 };
  }
}

function freeNames(tokens: Token[], from: number, bound: Set<string>): string[] {
  const found: string[] = [];
  for (let i = from; i < tokens.length; i++) {
    const token = tokens[i];
    if (!token || token.kind !== "name") continue;
    const prev = tokens[i - 1]?.text;
    const next = tokens[i + 1]?.text;
    if (NOT_VARIABLES.has(token.text) || bound.has(token.text)) continue;
    if (i > from && (prev === "." || prev === "|")) continue; // attribute or filter
    if (i > from && (prev === "is" || (prev === "not" && tokens[i - 2]?.text === "is"))) continue; // test
    if (next === "=") continue; // keyword argument
    found.push(token.text);
  }
  return found;
}

class OrderedNames {
  readonly names: string[] = [];
  private readonly seen = new Set<string>();
  add(name: string): void {
    if (this.seen.has(name)) return;
    this.seen.add(name);
    this.names.push(name);
  }
}

/** The free variables of one template, in order of first use. */
export function detectVariables(template: string): string[] {
  const bound = new Set<string>();
  const out = new OrderedNames();
  for (const block of blocks(template)) {
    const tokens = tokenize(block.body);
    if (block.kind === "expr") {
      freeNames(tokens, 0, bound).forEach((name) => out.add(name));
      continue;
    }
    const b = bindings(tokens);
    // A loop's iterable is read before its target is bound: collect first, then bind.
    const free = freeNames(tokens, b.exprFrom, bound);
    b.bound.forEach((name) => bound.add(name));
    free.filter((name) => !bound.has(name)).forEach((name) => out.add(name));
  }
  return out.names;
}

/** Variables of a text prompt or of all messages of a chat prompt. */
export function detectContentVariables(content: Content): string[] {
  if (typeof content === "string") return detectVariables(content);
  const out = new OrderedNames();
  for (const message of content) {
    if ("type" in message && message.type === "placeholder") out.add(message.name);
    else if ("content" in message) detectVariables(message.content).forEach((n) => out.add(n));
  }
  return out.names;
}
