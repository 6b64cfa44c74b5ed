// Rewrites the configuration table in README.md from the declaration in src/settings.ts
// (npm run docs:config). test/settings.test.ts fails while the two disagree.
import { promises as fs } from "node:fs";
import { fileURLToPath } from "node:url";
import { configTableMarkdown, README_TABLE_END, README_TABLE_START } from "../src/settings.ts";

const readme = fileURLToPath(new URL("../README.md", import.meta.url));
const text = await fs.readFile(readme, "utf8");
const start = text.indexOf(README_TABLE_START);
const end = text.indexOf(README_TABLE_END);
if (start < 0 || end < start) {
  throw new Error(`README.md has no ${README_TABLE_START} … ${README_TABLE_END} section`);
}
const table = `${README_TABLE_START}\n\n${configTableMarkdown()}\n\n`;
const next = text.slice(0, start) + table + text.slice(end);
if (next === text) {
  console.log("README.md's configuration table is up to date.");
} else {
  await fs.writeFile(readme, next);
  console.log("README.md's configuration table rewritten from src/settings.ts.");
}
