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

/** Lays rows out in columns. */
export function table(
  rows: readonly (readonly string[])[],
  visibleLength = (s: string) => stripAnsi(s).length,
): string {
  const widths: number[] = [];
  for (const r of rows)
    r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, visibleLength(c))));
  return rows
    .map((r) =>
      r
        .map((c, i) =>
          i === r.length - 1 ? c : c + " ".repeat((widths[i] ?? 0) - visibleLength(c)),
        )
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
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
