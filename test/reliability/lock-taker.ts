/**
 * One contender of the lock race (lock-race.test.ts), in a process of its own: it takes the lock
 * when told to, says whether it got it, and releases it when told to.
 */
import { acquireLock, type Lock } from "../../src/state/store.js";

type Message = { op: "take"; state: string } | { op: "release" } | { op: "exit" };

let lock: Lock | undefined;
const send = (m: object) => process.send?.(m);

process.on("message", (m: Message) => {
  void (async () => {
    if (m.op === "take") {
      try {
        lock = await acquireLock(m.state, "race");
        send({ pid: process.pid, ok: true, warning: lock.staleWarning });
      } catch (err) {
        send({ pid: process.pid, ok: false, message: (err as Error).message });
      }
    } else if (m.op === "release") {
      await lock?.release();
      lock = undefined;
      send({ pid: process.pid, released: true });
    } else {
      process.disconnect();
    }
  })();
});
send({ pid: process.pid, ready: true });
