import { promises as fs } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { CONFIG_FILE_NAME } from "../config-file.js";
import { MAX_STAGE_LENGTH, PROJECT, SUPPORTED_RUNTIMES, validateName } from "../config.js";
import { UserError } from "../errors.js";

/** template/, shipped next to dist/ and src/ (both two levels below the package root). */
const TEMPLATE_DIR = fileURLToPath(new URL("../../template/", import.meta.url));
const PACKAGE_ROOT = fileURLToPath(new URL("../../", import.meta.url));
const PACKAGE_JSON = path.join(PACKAGE_ROOT, "package.json");

/**
 * How the project depends on this tool: the version range when it was installed from the
 * registry (it sits in a node_modules directory); this copy itself, by path, when it runs from
 * a checkout, so that `npm install` in the new project installs the very tool that made it.
 */
export function toolDependency(root: string, version: string): string {
  return root.split(path.sep).includes("node_modules")
    ? `^${version}`
    : `file:${root.replace(/[\\/]+$/, "")}`;
}

/** The template's files, and the names they get (npm drops a file named .gitignore). */
const FILES: readonly { from: string; to: string }[] = [
  { from: CONFIG_FILE_NAME, to: CONFIG_FILE_NAME },
  { from: "src/handler.ts", to: "src/handler.ts" },
  { from: "src/secrets.ts", to: "src/secrets.ts" },
  { from: "test/handler.test.ts", to: "test/handler.test.ts" },
  { from: "test/secrets.test.ts", to: "test/secrets.test.ts" },
  { from: "tsconfig.json", to: "tsconfig.json" },
  { from: "gitignore", to: ".gitignore" },
];

export interface InitResult {
  /** The project directory, absolute. */
  readonly dir: string;
  /** The files written, relative to dir, in order. */
  readonly files: readonly string[];
}

/**
 * Scaffolds a project in a new or empty directory: the config file, a TypeScript handler on the
 * table, its test, package.json and .gitignore. Never overwrites: a directory with anything in
 * it is refused, and each file is created exclusively. On failure, what it wrote is removed.
 */
export async function init(target: string, cwd: string): Promise<InitResult> {
  const dir = path.resolve(cwd, target);
  const created = await prepareDir(dir);
  const written: string[] = [];
  try {
    const pkg = packageJson(dir, JSON.parse(await fs.readFile(PACKAGE_JSON, "utf8")) as OwnPackage);
    const files: [string, string][] = [["package.json", `${JSON.stringify(pkg, null, 2)}\n`]];
    for (const f of FILES) {
      const text = await fs.readFile(path.join(TEMPLATE_DIR, f.from), "utf8");
      // The project's name, first in its config file: its resources are named after it.
      files.push([
        f.to,
        f.to === CONFIG_FILE_NAME
          ? text.replace(/^\{\n/, `{\n  "name": ${JSON.stringify(projectName(dir))},\n`)
          : text,
      ]);
    }
    for (const [name, text] of files) {
      const file = path.join(dir, name);
      await fs.mkdir(path.dirname(file), { recursive: true });
      await fs.writeFile(file, text, { flag: "wx" });
      written.push(name);
    }
    return { dir, files: written };
  } catch (err) {
    // Nothing half-made: the files this run wrote go, and the directory if it made it.
    if (created) await fs.rm(dir, { recursive: true, force: true });
    else for (const name of written) await fs.rm(path.join(dir, name), { force: true });
    if ((err as NodeJS.ErrnoException).code === "EEXIST") {
      throw new UserError(`${dir} changed while the project was being written; nothing was kept.`, {
        hint: "Run init again in a new or empty directory.",
      });
    }
    throw err;
  }
}

/** Makes the directory, or checks it is empty; true when it made it. */
async function prepareDir(dir: string): Promise<boolean> {
  let entries: string[];
  try {
    entries = await fs.readdir(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") {
      try {
        await fs.mkdir(dir, { recursive: true });
      } catch (mkErr) {
        throw new UserError(`Cannot create ${dir}: ${(mkErr as Error).message}`, {
          hint: "Choose a directory you can write to.",
        });
      }
      return true;
    }
    if (code === "ENOTDIR") {
      throw new UserError(`${dir} is a file, not a directory.`, {
        hint: "Give init the name of a new or empty directory.",
      });
    }
    throw new UserError(`Cannot read ${dir}: ${(err as Error).message}`, {
      hint: "Choose a directory you can read and write.",
    });
  }
  // A fresh `git init` is as good as empty.
  const present = entries.filter((e) => e !== ".git");
  if (present.length > 0) {
    const shown = present.slice(0, 3).join(", ") + (present.length > 3 ? ", …" : "");
    throw new UserError(`${dir} is not empty (${shown}); init never overwrites anything.`, {
      hint: "Run init with a new directory name (e.g. `npx serverless-automation init my-api`), or in an empty directory.",
    });
  }
  return false;
}

/** The longest stage name allowed, so that a name init picks fits every stage in every region. */
const ROOM = { stage: "a".repeat(MAX_STAGE_LENGTH), region: "ap-southeast-7" };

/**
 * A project name from the directory's: lowercase letters, digits and single hyphens, starting
 * with a letter, short enough for every stage in every region (my_API.v2 → my-api-v2).
 */
export function projectName(dir: string): string {
  let name = path
    .basename(dir)
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^[^a-z]+|-+$/g, "");
  if (name === "") name = "my-api";
  for (;;) {
    try {
      return validateName(name, ROOM.stage, ROOM.region);
    } catch {
      name = name.slice(0, -1).replace(/-+$/, "") || "my-api";
    }
  }
}

interface OwnPackage {
  version: string;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
}

/** The Node major of the oldest Lambda runtime we deploy to: 22 for nodejs22.x. */
function oldestRuntimeMajor(): number {
  return Math.min(...Object.keys(SUPPORTED_RUNTIMES).map((r) => Number(/\d+/.exec(r)?.[0])));
}

/** The project's package.json: scripts for dev, deploy and test, on this package's versions. */
function packageJson(dir: string, own: OwnPackage): object {
  const name =
    path
      .basename(dir)
      .toLowerCase()
      .replace(/[^a-z0-9._-]+/g, "-")
      .replace(/^[._-]+|-+$/g, "") || "my-api";
  const version = (pkg: string) => own.dependencies[pkg] ?? own.devDependencies[pkg] ?? "*";
  return {
    name,
    version: "0.1.0",
    private: true,
    type: "module",
    // Lambda runs the handler on a supported runtime (nodejs22.x or later), and the AWS SDK's
    // releases from 2027 need Node 22: on an older Node npm install says so, once (its tests
    // would run on a Node no deployment runs, and the SDK prints its Node-version notice).
    engines: { node: `>=${oldestRuntimeMajor()}` },
    scripts: {
      dev: `${PROJECT} dev`,
      deploy: `${PROJECT} up`,
      status: `${PROJECT} status`,
      test: "node --import tsx --test test/*.test.ts",
    },
    devDependencies: {
      "@aws-sdk/client-dynamodb": version("@aws-sdk/client-dynamodb"),
      "@aws-sdk/client-secrets-manager": version("@aws-sdk/client-secrets-manager"),
      "@aws-sdk/client-ssm": version("@aws-sdk/client-ssm"),
      "@types/aws-lambda": version("@types/aws-lambda"),
      "@types/node": version("@types/node"),
      [PROJECT]: toolDependency(PACKAGE_ROOT, own.version),
      tsx: version("tsx"),
    },
  };
}
