import type { AnySpec, Outputs, ResourceHandler, StateEntry } from "./types.js";

const REF = Symbol("ref");

/**
 * A value that comes from another resource of the stack. Used in props, it is both the value
 * (typed) and the dependency: the resource is made after the one it reads.
 */
export interface Ref<T> {
  readonly [REF]: {
    /** The resource it comes from. */
    readonly from: Node<unknown, Outputs>;
    /** Whether the value waits for that resource's outputs (false: known ahead). */
    readonly needsOutputs: boolean;
    read(outputs: Outputs | undefined): { value: T } | undefined;
  };
  /** A value derived from this one. */
  map<U>(f: (value: T) => U): Ref<U>;
}

/** Props as written in the stack: any value may be a Ref to another resource's. */
export type Input<T> =
  | T
  | Ref<T>
  | (T extends readonly (infer E)[]
      ? readonly Input<E>[]
      : T extends object
        ? { readonly [K in keyof T]: Input<T[K]> }
        : never);

function ref<T>(
  from: Node<unknown, Outputs>,
  needsOutputs: boolean,
  read: (outputs: Outputs | undefined) => { value: T } | undefined,
): Ref<T> {
  return {
    [REF]: { from, needsOutputs, read },
    map: (f) =>
      ref(from, needsOutputs, (o) => {
        const r = read(o);
        return r && { value: f(r.value) };
      }),
  };
}

function isRef(x: unknown): x is Ref<unknown> {
  return typeof x === "object" && x !== null && REF in x;
}

/**
 * One resource of the stack, declared once with its logical key (the state file's key) and its
 * kind. Everything else names it through this handle.
 */
export class Node<P, O extends Outputs> {
  /** Each output as a Ref: reading one makes the reader depend on this resource. */
  readonly out: { readonly [K in keyof O]-?: Ref<O[K]> };

  constructor(
    readonly key: string,
    readonly handler: ResourceHandler<P, O, unknown>,
  ) {
    const self = this as unknown as Node<unknown, Outputs>;
    this.out = new Proxy({} as { readonly [K in keyof O]-?: Ref<O[K]> }, {
      get: (_t, name) =>
        ref(self, true, (o) => (o && typeof name === "string" ? { value: o[name] } : undefined)),
    });
  }

  /**
   * A value of this resource known ahead of it (e.g. an ARN AWS derives from its name): read
   * at once, so the reader is observed in parallel, and still made after this resource.
   */
  ahead<T>(value: T): Ref<T> {
    return ref(this as unknown as Node<unknown, Outputs>, false, () => ({ value }));
  }

  /** What the state records for this resource. */
  recorded(resources: Readonly<Record<string, StateEntry>>): StateEntry<O> | undefined {
    return resources[this.key] as StateEntry<O> | undefined;
  }

  /** Its outputs among those a run produced. */
  outputsIn(outputs: ReadonlyMap<string, Outputs>): O | undefined {
    return outputs.get(this.key) as O | undefined;
  }
}

export function node<P, O extends Outputs, C>(
  key: string,
  handler: ResourceHandler<P, O, C>,
): Node<P, O> {
  return new Node(key, handler as ResourceHandler<P, O, unknown>);
}

/** The resources a props input reads, found by walking it. */
function refsIn(input: unknown, out: Ref<unknown>[] = []): Ref<unknown>[] {
  if (isRef(input)) out.push(input);
  else if (Array.isArray(input)) for (const x of input) refsIn(x, out);
  else if (isPlain(input)) for (const x of Object.values(input)) refsIn(x, out);
  return out;
}

function isPlain(x: unknown): x is Record<string, unknown> {
  if (typeof x !== "object" || x === null) return false;
  const proto = Object.getPrototypeOf(x) as unknown;
  return proto === Object.prototype || proto === null;
}

/** The input with every Ref replaced by its value; undefined when one cannot be read yet. */
function resolve(input: unknown, outputsOf: (key: string) => Outputs | undefined): unknown {
  const missing = Symbol("missing");
  const walk = (x: unknown): unknown => {
    if (isRef(x)) {
      const r = x[REF];
      const got = r.read(r.needsOutputs ? outputsOf(r.from.key) : undefined);
      return got ? got.value : missing;
    }
    if (Array.isArray(x)) {
      const items = x.map(walk);
      return items.includes(missing) ? missing : items;
    }
    if (isPlain(x)) {
      const entries = Object.entries(x).map(([k, v]) => [k, walk(v)] as const);
      return entries.some(([, v]) => v === missing) ? missing : Object.fromEntries(entries);
    }
    return x;
  };
  const value = walk(input);
  return value === missing ? undefined : value;
}

/** Collects the stack's resources; reading a Ref in props records the dependency. */
export class StackBuilder {
  private readonly specs: AnySpec[] = [];

  /**
   * Adds a resource. `after`: resources it must follow although it reads nothing of theirs
   * (e.g. the stage opens the API only once the table exists).
   */
  add<P, O extends Outputs>(
    n: Node<P, O>,
    props: Input<P>,
    options: { after?: readonly Node<never, Outputs>[] } = {},
  ): this {
    const refs = refsIn(props);
    const keys = (xs: readonly { key: string }[]) => [...new Set(xs.map((x) => x.key))];
    this.specs.push({
      key: n.key,
      handler: n.handler,
      dependsOn: keys([...refs.map((r) => r[REF].from), ...(options.after ?? [])]),
      needs: keys(refs.filter((r) => r[REF].needsOutputs).map((r) => r[REF].from)),
      props: (outputsOf) => resolve(props, outputsOf) as P | undefined,
    });
    return this;
  }

  build(): AnySpec[] {
    return [...this.specs];
  }
}
