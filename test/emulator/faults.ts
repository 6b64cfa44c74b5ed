import type { ChildProcess } from "node:child_process";
import { expect } from "vitest";
import { expectStack, inventory, isEmpty, type Aws } from "./aws.js";
import { cliEnv, CREDENTIALS, runBin, runMain, workdir, type CliResult } from "./cli.js";
import type { Moto } from "./moto.js";
import { MOTO_SKIP_REASON } from "./moto.js";
import type { FaultMode, WireProxy } from "./proxy.js";
import { startEmulator, stopEmulator } from "./stack.js";

/**
 * Faults on the wire, one mutating call at a time: the call is refused (503, never reaches the
 * emulator), its response is lost (applied, then the connection closes), or the process is
 * killed right after the emulator applied it (the state file as it was at that instant).
 * After each, one more run must converge, the run after it must change nothing, and `down`
 * must leave nothing.
 */

Object.assign(process.env, CREDENTIALS);

export interface Rig {
  moto: Moto;
  proxy: WireProxy;
  aws: Aws;
}

/**
 * Started when the file loads, not in hooks: the cases (one per mutating call of a clean run)
 * must be known before the tests are collected.
 */
export async function startRig(): Promise<Rig | undefined> {
  if (MOTO_SKIP_REASON !== undefined) return undefined;
  const { moto, proxy, aws } = await startEmulator(true);
  if (!proxy) throw new Error("the rig's proxy did not start");
  return { moto, proxy, aws };
}

export const stopRig: (rig: Rig | undefined) => Promise<void> = stopEmulator;

/** One slot: calls come in the same order every run, so call n is the same call each time. */
const ORDERED = { concurrency: 1 };

/**
 * The mutating calls of a clean run of `argv` after `setup`, in order. A run may make one
 * call more or less than another (a stage patched once or twice, depending on when the
 * account's logging role lands): the shortest of two runs is the list every run reaches.
 */
export async function mutatingCallsOf(
  rig: Rig,
  argv: string[],
  setup: (cwd: string, env: NodeJS.ProcessEnv) => Promise<void> = async () => undefined,
  how: "ordered" | "binary" = "ordered",
): Promise<string[]> {
  const runs: string[][] = [];
  for (let i = 0; i < 2; i++) {
    await rig.moto.reset();
    const cwd = workdir();
    const env = cliEnv(rig.proxy.endpoint);
    await setup(cwd, env);
    rig.proxy.arm(undefined);
    // The killed runs are the binary as users run it (default concurrency): count its calls.
    const r =
      how === "binary" ? await runBin(argv, cwd, env) : await runMain(argv, cwd, env, ORDERED);
    if (r.code !== 0) throw new Error(`the reference ${argv.join(" ")} failed:\n${r.stderr}`);
    runs.push(rig.proxy.mutating().map((c) => `${c.service} ${c.operation}`));
  }
  return runs.reduce((a, b) => (b.length < a.length ? b : a));
}

/** Runs argv with a fault at the nth mutating call; a crash kills a real process. */
async function faultyRun(
  rig: Rig,
  argv: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
  mode: FaultMode,
  nth: number,
): Promise<{ result: CliResult; hit: string | undefined }> {
  let child: ChildProcess | undefined;
  rig.proxy.arm({ mode, nth, onCrash: () => child?.kill("SIGKILL") });
  const result =
    mode === "crash"
      ? await runBin(argv, cwd, env, (c) => (child = c))
      : await runMain(argv, cwd, env, ORDERED);
  const hit = rig.proxy.calls.filter((c) => c.mutating)[nth - 1];
  return { result, hit: hit && `${hit.service} ${hit.operation}` };
}

/**
 * The fault fired (a crash killed the process), or the run made fewer mutating calls than
 * the shortest reference run counted (the binary's default concurrency orders a few calls
 * differently from run to run), in which case it must simply have succeeded.
 */
function expectFaulted(rig: Rig, result: CliResult, mode: FaultMode, hit: string | undefined) {
  if (!rig.proxy.fired) {
    expect(result.code, `no fault reached, so a clean run:\n${result.stderr}`).toBe(0);
    return;
  }
  if (mode === "crash") expect(result.signal, `${hit}: the run was killed`).toBe("SIGKILL");
}

export interface CaseReport {
  readonly mode: FaultMode;
  readonly nth: number;
  readonly call: string | undefined;
  readonly firstRunCode: number | null;
}

/** Every case starts from an empty account; a passing case leaves one behind by itself. */
async function emptyAccount(rig: Rig): Promise<void> {
  if (!isEmpty(await inventory(rig.aws))) await rig.moto.reset();
}

/** A fault at the nth mutating call of a cold `up`; then converge, no-op, and clean down. */
export async function upCase(rig: Rig, mode: FaultMode, nth: number): Promise<CaseReport> {
  await emptyAccount(rig);
  const cwd = workdir();
  const env = cliEnv(rig.proxy.endpoint);
  const { result, hit } = await faultyRun(rig, ["up"], cwd, env, mode, nth);
  const fired = rig.proxy.fired;
  expectFaulted(rig, result, mode, hit);

  rig.proxy.arm(undefined);
  const next = await runMain(["up"], cwd, env);
  expect(next.code, `the next up converges in one run (${mode} at ${hit}):\n${next.stderr}`).toBe(
    0,
  );
  rig.proxy.arm(undefined);
  const again = await runMain(["up"], cwd, env);
  expect(again.code, again.stderr).toBe(0);
  expect(
    rig.proxy.mutating().map((c) => `${c.service} ${c.operation}`),
    `the run after it changes nothing (${mode} at ${hit})`,
  ).toEqual([]);
  await expectStack(rig.aws, "production");

  const down = await runMain(["down", "--yes"], cwd, env);
  expect(down.code, down.stderr).toBe(0);
  expect(await inventory(rig.aws), `down leaves nothing (${mode} at ${hit})`).toSatisfy(isEmpty);
  return { mode, nth, call: fired ? hit : undefined, firstRunCode: result.code };
}

/** A fault at the nth mutating call of `down`; the next `down` removes everything. */
export async function downCase(rig: Rig, mode: FaultMode, nth: number): Promise<CaseReport> {
  await emptyAccount(rig);
  const cwd = workdir();
  const env = cliEnv(rig.proxy.endpoint);
  rig.proxy.arm(undefined);
  const up = await runMain(["up"], cwd, env);
  expect(up.code, up.stderr).toBe(0);

  const { result, hit } = await faultyRun(rig, ["down", "--yes"], cwd, env, mode, nth);
  const fired = rig.proxy.fired;
  expectFaulted(rig, result, mode, hit);

  rig.proxy.arm(undefined);
  const next = await runMain(["down", "--yes"], cwd, env);
  expect(next.code, `the next down completes (${mode} at ${hit}):\n${next.stderr}`).toBe(0);
  expect(await inventory(rig.aws), `down leaves nothing (${mode} at ${hit})`).toSatisfy(isEmpty);
  rig.proxy.arm(undefined);
  const again = await runMain(["down", "--yes"], cwd, env);
  expect(again.code, again.stderr).toBe(0);
  expect(rig.proxy.mutating()).toEqual([]);
  return { mode, nth, call: fired ? hit : undefined, firstRunCode: result.code };
}
