import { setTimeout as sleep } from "node:timers/promises";
import type { Pluggable } from "@smithy/types";
import { CLIENT_NAMES, createClients, loadClients, type Clients } from "../../src/aws/clients.js";
import { renderError, WireError, type WireResponse } from "./errors.js";

// Tests make clients for every service at once (FakeAws.clients): each package loaded up front.
await loadClients(CLIENT_NAMES);

/** Carries a rendered error response from the fake to the SDK's deserializer below it. */
const RESPONSE = Symbol("fakeAwsResponse");
/** The call record of a failed call, so its error can be named as the SDK names it. */
const RECORD = Symbol("fakeAwsRecord");

/** One call as the fake saw it. */
export interface CallRecord {
  readonly service: string;
  readonly operation: string;
  readonly input: Record<string, unknown>;
  readonly mutating: boolean;
  /** The error name as the SDK reports it (`err.name`), when the call failed. */
  readonly error?: string;
  readonly startedAt: number;
  readonly endedAt: number;
}

/** A handler for one operation: input in, output out, or an AWS error thrown. */
export type OperationHandler = (input: Record<string, unknown>, call: CallContext) => unknown;

export interface CallContext {
  readonly region: string;
  readonly now: number;
}

/** A service implementation: name (as the SDK client calls itself, e.g. "S3") and operations. */
export interface FakeService {
  readonly name: string;
  readonly operations: Record<string, OperationHandler>;
}

/** Injected behaviour for matching calls (see FakeAws.inject). */
export interface Fault {
  service?: string;
  operation?: string | RegExp;
  /** How many matching calls it affects; Infinity for all. */
  times: number;
  /** Only calls whose input passes this (e.g. one role of several). */
  when?: (input: Record<string, unknown>) => boolean;
  /** Throws instead of running the operation (the operation does not happen). */
  error?: () => Error;
  /** Runs after the operation succeeded (e.g. a simulated crash). */
  after?: (record: CallRecord) => void;
  /** Delay before the call is handled, ms. */
  delayMs?: number;
}

export interface CallFilter {
  mutating?: boolean;
  service?: string;
  /** true: only calls that succeeded; false: only calls that failed. */
  ok?: boolean;
}

/** The ARN partition of a region, as AWS names it. */
export function partitionOf(region: string): string {
  if (region.startsWith("cn-")) return "aws-cn";
  if (region.startsWith("us-gov-")) return "aws-us-gov";
  return "aws";
}

const READ_PREFIXES = ["Get", "List", "Describe", "Head", "Filter"];

export function isMutating(operation: string): boolean {
  return !READ_PREFIXES.some((p) => operation.startsWith(p));
}

export interface FakeOptions {
  readonly account?: string;
  readonly region?: string;
  /** Round-trip time added to every call, ms. */
  readonly latencyMs?: number;
}

/**
 * A stateful in-memory AWS account. It plugs into the real SDK clients at the deserialize step,
 * so everything above it — serialization, signing, the SDK's retry strategy, waiters — is the
 * SDK's own; it answers with the SDK's real exception classes.
 */
export class FakeAws {
  readonly account: string;
  readonly region: string;
  latencyMs: number;
  readonly calls: CallRecord[] = [];
  private readonly services = new Map<string, FakeService>();
  private readonly faults: Fault[] = [];

  constructor(options: FakeOptions = {}) {
    this.account = options.account ?? "123456789012";
    this.region = options.region ?? "us-east-1";
    this.latencyMs = options.latencyMs ?? 0;
  }

  register(service: FakeService): void {
    this.services.set(service.name, service);
  }

  /** Adds a fault for matching calls; returns it so a test can inspect `times` left. */
  inject(fault: Fault): Fault {
    this.faults.push(fault);
    return fault;
  }

  clearFaults(): void {
    this.faults.length = 0;
  }

  /** Calls so far, optionally only the mutating ones or one service's. */
  callLog(filter: CallFilter = {}): CallRecord[] {
    return this.calls.filter(
      (c) =>
        (filter.mutating === undefined || c.mutating === filter.mutating) &&
        (filter.service === undefined || c.service === filter.service) &&
        (filter.ok === undefined || (c.error === undefined) === filter.ok),
    );
  }

  /** "Service.Operation" names of the calls so far, e.g. to assert what was (not) called. */
  operations(filter: CallFilter = {}): string[] {
    return this.callLog(filter).map((c) => `${c.service}.${c.operation}`);
  }

  resetCalls(): void {
    this.calls.length = 0;
  }

  /**
   * Plugs in at the deserialize step. A successful call returns the fake's output as is; a
   * failed one is rendered as AWS would send it on the wire and handed to the SDK's own
   * deserializer, which throws the error class and name the real SDK would.
   */
  plugin(): Pluggable<object, object> {
    return {
      applyToStack: (stack) => {
        stack.add(
          (next, context) => async (args) => {
            const c = context as { clientName?: string; commandName?: string };
            const service = (c.clientName ?? "").replace(/Client$/, "");
            const operation = (c.commandName ?? "").replace(/Command$/, "");
            const host = (args.request as { hostname?: string } | undefined)?.hostname ?? "";
            const region =
              /\.([a-z]{2}(?:-gov)?-[a-z]+-\d)\.amazonaws\.com/.exec(host)?.[1] ?? this.region;
            let output: unknown;
            try {
              output = await this.handle(
                service,
                operation,
                args.input as Record<string, unknown>,
                region,
              );
            } catch (err) {
              if (!(err instanceof WireError)) throw err;
              const record = (err as { [RECORD]?: { error?: string } })[RECORD];
              try {
                await next(Object.assign({ ...args }, { [RESPONSE]: renderError(err, operation) }));
              } catch (sdkErr) {
                if (record) record.error = (sdkErr as Error).name;
                throw sdkErr;
              }
              throw new Error(`the SDK accepted the error response of ${service}.${operation}`, {
                cause: err,
              });
            }
            return {
              output: { ...(output as object), $metadata: { httpStatusCode: 200, attempts: 1 } },
              response: {},
            };
          },
          { step: "deserialize", priority: "high", name: "fakeAws", override: true },
        );
        // Below the SDK's deserializer: answers with the rendered response instead of the network.
        stack.add(
          () => async (args) => {
            const response = (args as { [RESPONSE]?: WireResponse })[RESPONSE];
            if (!response) throw new Error("the fake AWS reached the network");
            return { response, output: {} };
          },
          { step: "deserialize", priority: "low", name: "fakeAwsWire", override: true },
        );
      },
    };
  }

  /** Real SDK clients wired to this fake account. */
  clients(region = this.region): Clients {
    return createClients({
      region,
      credentials: { accessKeyId: "AKIAFAKEFAKEFAKEFAKE", secretAccessKey: "fake-secret" },
      plugins: [this.plugin()],
    });
  }

  private async handle(
    service: string,
    operation: string,
    input: Record<string, unknown>,
    region: string,
  ): Promise<unknown> {
    const startedAt = Date.now();
    const mutating = isMutating(operation);
    // A paginator sends every page with one input object, setting its token in place: record
    // the input as this call sent it.
    const sent = { ...input };
    const active = this.faults.filter((f) => f.times > 0 && matches(f, service, operation, input));
    const record = (error?: string): CallRecord => {
      const r: CallRecord = {
        service,
        operation,
        input: sent,
        mutating,
        startedAt,
        endedAt: Date.now(),
        ...(error ? { error } : {}),
      };
      this.calls.push(r);
      return r;
    };
    const delay = this.latencyMs + active.reduce((n, f) => n + (f.delayMs ?? 0), 0);
    if (delay > 0) await sleep(delay);
    for (const f of active) {
      // Concurrent calls all saw the fault before any used it up: honour `times` exactly.
      if (f.error && f.times > 0) {
        f.times--;
        const err = f.error();
        throw Object.assign(err, { [RECORD]: record(err.name) });
      }
    }
    const impl = this.services.get(service)?.operations[operation];
    if (!impl) {
      const err = new Error(`the fake AWS does not implement ${service}.${operation}`);
      record("NotImplemented");
      throw err;
    }
    let out: unknown;
    try {
      out = await impl(structuredCloneSafe(input), { region, now: Date.now() });
    } catch (err) {
      const r = record((err as Error).name);
      if (err instanceof WireError) Object.assign(err, { [RECORD]: r });
      throw err;
    }
    const r = record();
    for (const f of active) {
      if (f.after && f.times > 0) {
        f.times--;
        f.after(r);
      }
    }
    return out;
  }
}

function matches(
  f: Fault,
  service: string,
  operation: string,
  input: Record<string, unknown>,
): boolean {
  if (f.service !== undefined && f.service !== service) return false;
  if (f.when && !f.when(input)) return false;
  if (f.operation === undefined) return true;
  return typeof f.operation === "string" ? f.operation === operation : f.operation.test(operation);
}

/** Inputs are copied so the fake never shares objects with the caller (Buffers kept as is). */
function structuredCloneSafe(input: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(input)) {
    out[k] =
      v instanceof Uint8Array
        ? Buffer.from(v)
        : typeof v === "object" && v !== null
          ? structuredClone(v)
          : v;
  }
  return out;
}
