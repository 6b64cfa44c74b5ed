// `node --import ./test/support/record-loads.mjs …`: prints, at exit, every module file the
// process loaded (one file URL a line, on stderr, after "loaded modules:").
import { register } from "node:module";
import { MessageChannel } from "node:worker_threads";

const { port1, port2 } = new MessageChannel();
const loaded = [];
port1.on("message", (url) => loaded.push(url));
port1.unref();
register(
  `data:text/javascript,${encodeURIComponent(
    "let port; export function initialize(d) { port = d.port; }" +
      "export async function load(url, context, next) { port.postMessage(url); return next(url, context); }",
  )}`,
  { data: { port: port2 }, transferList: [port2] },
);
process.on("exit", () => process.stderr.write(`loaded modules:\n${loaded.join("\n")}\n`));
