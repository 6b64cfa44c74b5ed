/** Colour only for a terminal, never with NO_COLOR (https://no-color.org). */
export interface Style {
  green(s: string): string;
  red(s: string): string;
  yellow(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
}

const wrap = (open: number, close: number) => (s: string) => `\u001b[${open}m${s}\u001b[${close}m`;

export const COLOR: Style = {
  green: wrap(32, 39),
  red: wrap(31, 39),
  yellow: wrap(33, 39),
  dim: wrap(2, 22),
  bold: wrap(1, 22),
};

const id = (s: string) => s;
export const PLAIN: Style = { green: id, red: id, yellow: id, dim: id, bold: id };

export function useColor(isTTY: boolean, env: Record<string, string | undefined>): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== "0") return true;
  return isTTY && env.TERM !== "dumb";
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/**
 * A list in one cell (the fields of an update, say): wrapped after its commas when the table
 * would be too wide, each line styled on its own so that a colour never runs into the next cell.
 */
export interface ListCell {
  readonly prefix?: string;
  readonly items: readonly string[];
  readonly style?: (s: string) => string;
}

export type Cell = string | ListCell;

/** Columns a text table may take: the terminal's, else (a pipe, a pty of 0 columns) this. */
export const DEFAULT_WIDTH = 100;

export function outputWidth(stream: { isTTY?: boolean; columns?: number }): number {
  const c = stream.columns;
  return stream.isTTY === true && typeof c === "number" && c > 0 ? c : DEFAULT_WIDTH;
}

/** The least a list column is narrowed to, and what the last column is left at least. */
const MIN_LIST = 24;
const MIN_LAST = 24;

/**
 * Lays rows out in columns. With a width, list cells wrap after their commas so that the
 * columns before the last fit with room for it; the last (ids, ARNs) is never broken, so that
 * it can be copied whole.
 */
export function table(
  rows: readonly (readonly Cell[])[],
  options: { width?: number } = {},
): string {
  const visibleLength = (s: string) => stripAnsi(s).length;
  const flat = (c: Cell) =>
    typeof c === "string" ? c : (c.style ?? String)(`${c.prefix ?? ""}${c.items.join(", ")}`);
  const cols = Math.max(0, ...rows.map((r) => r.length));
  const widths: number[] = [];
  for (const r of rows)
    r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, visibleLength(flat(c)))));
  // Narrow the widest list columns until the columns before the last leave it room.
  const budget = (options.width ?? Infinity) - MIN_LAST;
  const before = () => widths.slice(0, cols - 1).reduce((a, b) => a + b + 2, 0);
  const listCols = [...Array(Math.max(0, cols - 1)).keys()]
    .filter((i) => rows.some((r) => typeof r[i] === "object"))
    .sort((a, b) => (widths[b] ?? 0) - (widths[a] ?? 0));
  for (const i of listCols) {
    const over = before() - budget;
    if (over <= 0) break;
    const longestItem = Math.max(
      0,
      ...rows.map((r) => {
        const c = r[i];
        if (c === undefined) return 0;
        if (typeof c === "string") return visibleLength(c);
        return Math.max((c.prefix ?? "").trimEnd().length, ...c.items.map((x) => x.length + 1));
      }),
    );
    widths[i] = Math.max(MIN_LIST, longestItem, (widths[i] ?? 0) - over);
  }
  const lines: string[] = [];
  for (const r of rows) {
    const cells = r.map((c, i) =>
      typeof c === "string" ? [c] : wrapList(c, i === r.length - 1 ? Infinity : (widths[i] ?? 0)),
    );
    const height = Math.max(1, ...cells.map((c) => c.length));
    for (let n = 0; n < height; n++) {
      lines.push(
        cells
          .map((c, i) => {
            const text = c[n] ?? "";
            return i === cells.length - 1
              ? text
              : text + " ".repeat((widths[i] ?? 0) - visibleLength(text));
          })
          .join("  ")
          .trimEnd(),
      );
    }
  }
  return lines.join("\n");
}

/** A list cell's lines, each at most `width` wide unless one item is wider. */
function wrapList(c: ListCell, width: number): string[] {
  const style = c.style ?? String;
  const out: string[] = [];
  const prefix = c.prefix ?? "";
  let line = prefix;
  c.items.forEach((item, n) => {
    const piece = n < c.items.length - 1 ? `${item},` : item;
    const candidate = line === prefix ? `${line}${piece}` : `${line} ${piece}`;
    if (candidate.length > width && line.trim() !== "") {
      out.push(line.trimEnd());
      line = piece;
    } else line = candidate;
  });
  out.push(line);
  return out.map(style);
}

export function stripAnsi(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\u001b\[[0-9;]*m/g, "");
}

/**
 * A word as a POSIX shell reads it back unchanged: as it is when it holds only characters no
 * shell treats specially, otherwise in single quotes (a quote inside written '\'').
 */
export function shellQuote(word: string): string {
  if (word !== "" && /^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}
