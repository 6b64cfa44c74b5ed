import { afterAll, beforeAll, beforeEach } from "vitest";
import { awsAt, type Aws } from "./aws.js";
import { cliEnv, workdir } from "./cli.js";
import { Moto, MOTO_SKIP_REASON } from "./moto.js";
import { WireProxy } from "./proxy.js";

/** moto, the wire proxy in front of it (when asked for), and SDK clients straight to moto. */
export interface Started {
  readonly moto: Moto;
  readonly proxy: WireProxy | undefined;
  /** Reads what moto holds without going through the proxy: they are never counted. */
  readonly aws: Aws;
}

/** Starts moto and, with `withProxy`, a wire proxy in front of it. */
export async function startEmulator(
  withProxy: boolean,
  motoEnv: Record<string, string> = {},
): Promise<Started> {
  const moto = await Moto.start(motoEnv);
  const proxy = withProxy ? await WireProxy.start(moto.endpoint) : undefined;
  return { moto, proxy, aws: awsAt(moto.endpoint) };
}

export async function stopEmulator(s: Started | undefined): Promise<void> {
  await s?.proxy?.close();
  await s?.moto.stop();
}

/** What a test file's emulator gives its tests, once its hooks have started it. */
export interface Emulator {
  readonly moto: Moto;
  /** The wire proxy the CLI talks through; an error to ask for with `proxy: false`. */
  readonly proxy: WireProxy;
  readonly aws: Aws;
  /** The CLI's environment: AWS_ENDPOINT_URL at the proxy (at moto with `proxy: false`). */
  readonly env: NodeJS.ProcessEnv;
  /** A working directory of the file's own, made once. */
  readonly cwd: string;
  /** The mutating calls the proxy let through since it was last armed, as "service operation". */
  mutating(): string[];
}

export interface EmulatorOptions {
  /** Whether the CLI talks through a wire proxy (which counts calls and injects faults). */
  readonly proxy?: boolean;
  /** Resets moto before each test, for files whose tests each start from an empty account. */
  readonly resetEach?: boolean;
  /** More environment for the CLI (e.g. a session token). */
  readonly env?: Record<string, string>;
  /** moto's settings, e.g. { MOTO_ACM_VALIDATION_WAIT: "2" }. */
  readonly motoEnv?: Record<string, string>;
}

/**
 * Starts moto (and a proxy) before the file's tests and stops them after, registering the
 * hooks where it is called. Without moto (MOTO_SKIP_REASON) it registers nothing: the files'
 * suites are skipped then.
 */
export function useEmulator(options: EmulatorOptions = {}): Emulator {
  const withProxy = options.proxy ?? true;
  let started: Started | undefined;
  let env: NodeJS.ProcessEnv | undefined;
  let cwd: string | undefined;
  const need = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`no ${what}: the emulator's hooks have not run`);
    return value;
  };
  if (MOTO_SKIP_REASON === undefined) {
    beforeAll(async () => {
      started = await startEmulator(withProxy, options.motoEnv);
      const endpoint = started.proxy?.endpoint ?? started.moto.endpoint;
      env = cliEnv(endpoint, options.env);
      cwd = workdir();
    });
    afterAll(async () => {
      await stopEmulator(started);
    });
    if (options.resetEach) {
      beforeEach(async () => {
        await need(started, "moto").moto.reset();
      });
    }
  }
  const proxy = () =>
    need(withProxy ? started?.proxy : undefined, withProxy ? "proxy" : "proxy (proxy: false)");
  return {
    get moto() {
      return need(started, "moto").moto;
    },
    get proxy() {
      return proxy();
    },
    get aws() {
      return need(started, "moto").aws;
    },
    get env() {
      return need(env, "environment");
    },
    get cwd() {
      return need(cwd, "working directory");
    },
    mutating: () =>
      proxy()
        .mutating()
        .map((c) => `${c.service} ${c.operation}`),
  };
}
