import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

const LAUNCHER = path.join(path.dirname(fileURLToPath(import.meta.url)), "moto_server.py");
const PYTHON = process.env.PYTHON ?? "python3";

/**
 * Why the emulator suite cannot run here, or undefined when it can. Under CI the suite must
 * run: a missing emulator is a failure there, not a skip.
 */
export function motoUnavailable(): string | undefined {
  const probe = spawnSync(PYTHON, ["-c", "import moto, werkzeug; print(moto.__version__)"], {
    encoding: "utf8",
  });
  if (probe.error) return `${PYTHON} is not installed (${probe.error.message})`;
  if (probe.status !== 0) return `moto is not installed for ${PYTHON} (pip install 'moto[server]')`;
  return undefined;
}

export const MOTO_SKIP_REASON = process.env.CI === "true" ? undefined : motoUnavailable();

/** A moto server on a free loopback port, with the launcher's fidelity patches. */
export class Moto {
  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
    private readonly log: string[],
  ) {}

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /**
   * `env`: moto's own settings, read once when it starts (e.g. MOTO_ACM_VALIDATION_WAIT, the
   * seconds before it issues a DNS-validated certificate; moto/settings.py).
   */
  static async start(env: Record<string, string> = {}): Promise<Moto> {
    const child = spawn(PYTHON, [LAUNCHER, "--host", "127.0.0.1", "--port", "0"], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, ...env, PYTHONUNBUFFERED: "1" },
    });
    const log: string[] = [];
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill("SIGKILL");
        reject(new Error(`moto did not start within 60 s:\n${log.join("")}`));
      }, 60_000);
      child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
        const m = /listening on (\d+)/.exec(chunk);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      });
      child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
        log.push(chunk);
        if (log.length > 200) log.shift();
      });
      child.on("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`moto exited with ${code} before it served:\n${log.join("")}`));
      });
    });
    return new Moto(child, port, log);
  }

  /** Empties every account and region (moto's own reset). */
  async reset(): Promise<void> {
    const res = await fetch(`${this.endpoint}/moto-api/reset`, { method: "POST" });
    if (!res.ok) throw new Error(`moto reset answered ${res.status}`);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      this.child.once("exit", () => resolve());
      this.child.kill("SIGTERM");
    });
  }
}
