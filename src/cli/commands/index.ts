import type { CliCommand } from "../command.js";
import dev from "./dev.js";
import down from "./down.js";
import init from "./init.js";
import logs from "./logs.js";
import outputs from "./outputs.js";
import policy from "./policy.js";
import request from "./request.js";
import rollback from "./rollback.js";
import state from "./state.js";
import status from "./status.js";
import unlock from "./unlock.js";
import up from "./up.js";

/** Every command, in the order the help lists them. */
export const COMMANDS: readonly CliCommand[] = [
  up,
  status,
  down,
  rollback,
  outputs,
  request,
  logs,
  dev,
  init,
  state,
  unlock,
  policy,
];
