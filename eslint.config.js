// @ts-check
import js from "@eslint/js";
import { createNodeResolver, importX } from "eslint-plugin-import-x";
import tseslint from "typescript-eslint";

export default tseslint.config(
  {
    ignores: [
      "dist/",
      "node_modules/",
      "coverage/",
      ".serverless-automation/",
      "reports/",
      ".stryker-tmp/",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // The bin shim is CommonJS (bin/package.json), for a quicker start.
    files: ["bin/**/*.js"],
    languageOptions: {
      sourceType: "commonjs",
      globals: { require: "readonly", __dirname: "readonly" },
    },
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
  {
    languageOptions: {
      globals: {
        process: "readonly",
        console: "readonly",
        setTimeout: "readonly",
        clearTimeout: "readonly",
        URL: "readonly",
        Buffer: "readonly",
      },
    },
    rules: {
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_" },
      ],
      "@typescript-eslint/consistent-type-imports": "error",
    },
  },
  {
    // No import cycle anywhere in src/: layers import downwards only (static, dynamic and
    // value imports alike; `import type` is erased and not counted).
    files: ["src/**/*.ts"],
    plugins: { "import-x": importX },
    settings: {
      "import-x/extensions": [".ts", ".js"],
      "import-x/parsers": { "@typescript-eslint/parser": [".ts"] },
      "import-x/resolver-next": [
        createNodeResolver({
          extensions: [".ts", ".js", ".json", ".node"],
          // Sources import each other as `./x.js`, the file tsc emits for `./x.ts`.
          extensionAlias: { ".js": [".ts", ".js"] },
        }),
      ],
    },
    rules: {
      "import-x/no-cycle": ["error", { ignoreExternal: true }],
    },
  },
  {
    // --help must not load the AWS SDK, esbuild or DynamoDB: the CLI layer reaches them only
    // through `await import()` inside a command's handler.
    files: ["src/cli/**/*.ts"],
    rules: {
      "@typescript-eslint/no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["**/ops/*", "**/dev/server.js", "**/aws/clients.js"],
              allowTypeImports: true,
              message: "Import it with `await import()` in the handler, so --help stays light.",
            },
            {
              group: ["@aws-sdk/*", "esbuild", "dynalite", "ora", "archiver"],
              allowTypeImports: true,
              message: "Import it with `await import()` in the handler, so --help stays light.",
            },
          ],
        },
      ],
    },
  },
);
