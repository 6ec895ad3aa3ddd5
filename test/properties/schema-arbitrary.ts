// JSON Schema → fast-check, for the keywords the payload schemas use (type, enum, required, properties,
// additionalProperties, minItems/maxItems, uniqueItems, minimum/maximum, multipleOf, maxLength, pattern, format,
// oneOf, $ref, dependencies, default). Two halves: `valid` walks a schema to an arbitrary of instances, and
// `schemaViolations` walks a schema alongside one valid instance to every place where one constraint can be broken,
// each with an arbitrary of the broken value. Nothing here knows what a payload means: the shape comes from the
// schema; `Hints` only fill in the string and key domains a schema leaves open (which strings are paths, commands,
// URLs) so that valid payloads are also runnable. Why not a library: see test/properties/README.md.
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import draft6 from 'ajv/dist/refs/json-schema-draft-06.json' with { type: 'json' };
import fc from 'fast-check';

type Schema = Record<string, any>;
export type Path = (string | number)[];

/** Instance locations as patterns: `/env/*` (values of a map), `/env/*key` (its keys), `/command/*` (items). */
export type Hints = Record<string, fc.Arbitrary<unknown>>;

export interface WalkOptions {
  hints?: Hints;
  /** Upper bound for arrays and maps without one (keeps payloads small and shrinking fast). */
  maxItems?: number;
  /** oneOf branches (by title or $ref) never generated, e.g. artifact content where no dependency exists. */
  skipBranches?: string[];
  /** Properties never generated (by pattern), e.g. supersederUrl for a worker that must not fetch it. */
  skipProperties?: string[];
}

export class SchemaWalker {
  readonly root: Schema;
  private readonly opts: Required<WalkOptions>;
  private readonly ajv: Ajv;
  private readonly branchValidators = new WeakMap<Schema, ValidateFunction>();

  constructor(root: Schema, opts: WalkOptions = {}) {
    this.root = root;
    this.opts = { hints: {}, maxItems: 3, skipBranches: [], skipProperties: [], ...opts };
    this.ajv = new Ajv({ allErrors: false, strict: false });
    this.ajv.addMetaSchema(draft6);
    const addFormats = ((addFormatsModule as any).default ?? addFormatsModule) as (a: Ajv) => void;
    addFormats(this.ajv);
    this.ajv.addSchema(root, 'root');
  }

  resolve(s: Schema): Schema {
    let cur = s;
    for (let i = 0; cur.$ref && i < 16; i++) {
      const ref: string = cur.$ref;
      if (!ref.startsWith('#/')) throw new Error(`only local $ref supported, got ${ref}`);
      const target = ref
        .slice(2)
        .split('/')
        .reduce((o: any, k) => o?.[k], this.root);
      if (!target) throw new Error(`dangling $ref ${ref}`);
      cur = { ...target, ...Object.fromEntries(Object.entries(cur).filter(([k]) => k !== '$ref')) };
    }
    return cur;
  }

  /** Whether `v` matches subschema `s` (used to find the oneOf branch a value took). */
  matches(s: Schema, v: unknown): boolean {
    let f = this.branchValidators.get(s);
    if (!f) {
      f =
        s === this.root
          ? this.ajv.getSchema('root')!
          : s.$ref
            ? this.ajv.getSchema(`root${s.$ref}`)!
            : this.ajv.compile({ ...s, definitions: this.root.definitions });
      this.branchValidators.set(s, f);
    }
    return f(v) as boolean;
  }

  private hint(where: string): fc.Arbitrary<unknown> | undefined {
    return this.opts.hints[where];
  }

  private skipped(where: string): boolean {
    return this.opts.skipProperties.includes(where);
  }

  /** An arbitrary of instances valid against `s`, located at instance pattern `where`. */
  valid(s: Schema = this.root, where = ''): fc.Arbitrary<unknown> {
    const h = this.hint(where);
    if (h) return h;
    const r = this.resolve(s);
    if (r.oneOf) {
      const branches = (r.oneOf as Schema[]).filter((b) => !this.opts.skipBranches.includes(b.title ?? b.$ref ?? ''));
      return fc.oneof(...branches.map((b) => this.valid(b, where)));
    }
    if (r.enum) return fc.constantFrom(...(r.enum as unknown[]));
    switch (r.type) {
      case 'object':
        return this.object(r, where);
      case 'array': {
        const min = r.minItems ?? 0;
        const max = Math.max(min, Math.min(r.maxItems ?? this.opts.maxItems, this.opts.maxItems));
        const item = this.valid(r.items ?? {}, `${where}/*`);
        return r.uniqueItems
          ? fc.uniqueArray(item, { minLength: min, maxLength: max, selector: (x) => JSON.stringify(x) })
          : fc.array(item, { minLength: min, maxLength: max });
      }
      case 'string':
        return this.string(r);
      case 'integer':
        return fc.integer({ min: r.minimum ?? -(2 ** 31), max: r.maximum ?? 2 ** 31 });
      case 'number':
        return fc.double({ min: r.minimum, max: r.maximum, noNaN: true });
      case 'boolean':
        return fc.boolean();
      default:
        return fc.jsonValue();
    }
  }

  private string(r: Schema): fc.Arbitrary<string> {
    if (r.pattern) return fc.stringMatching(new RegExp(r.pattern));
    if (r.format === 'date-time') {
      return fc
        .date({ min: new Date('2020-01-01T00:00:00Z'), max: new Date('2040-01-01T00:00:00Z'), noInvalidDate: true })
        .map((d) => d.toISOString());
    }
    if (r.format === 'uri') return fc.webUrl();
    return fc.string({ maxLength: Math.min(r.maxLength ?? 12, 12) });
  }

  private object(r: Schema, where: string): fc.Arbitrary<Record<string, unknown>> {
    const props: Record<string, Schema> = r.properties ?? {};
    const required: string[] = r.required ?? [];
    const model: Record<string, fc.Arbitrary<unknown>> = {};
    for (const [k, ps] of Object.entries(props)) {
      if (this.skipped(`${where}/${k}`) && !required.includes(k)) continue;
      model[k] = this.valid(ps, `${where}/${k}`);
    }
    let base: fc.Arbitrary<Record<string, unknown>> = fc.record(model, { requiredKeys: required });
    const deps: Record<string, string[]> | undefined = r.dependencies;
    if (deps) {
      // dependencies: a key present requires its partners; drop the lone ones rather than filter (keeps it fast).
      base = base.map((o) => {
        const out = { ...o };
        for (const [k, needs] of Object.entries(deps)) if (k in out && needs.some((n) => !(n in out))) delete out[k];
        return out;
      });
    }
    if (r.additionalProperties && typeof r.additionalProperties === 'object') {
      const key = (this.hint(`${where}/*key`) as fc.Arbitrary<string> | undefined) ?? fc.string({ maxLength: 8 });
      const value = this.valid(r.additionalProperties, `${where}/*`);
      const extra = fc.dictionary(key, value, { maxKeys: this.opts.maxItems });
      return fc.tuple(base, extra).map(([b, e]) => ({ ...e, ...b }));
    }
    return base;
  }

  /**
   * Every way to break exactly one schema constraint of the valid instance `v`: a path, the keyword broken and an
   * arbitrary of the replacement (`DELETE` removes the property). Applied with `applyAt`.
   */
  schemaViolations(v: unknown, s: Schema = this.root, path: Path = [], where = ''): Violation[] {
    const out: Violation[] = [];
    const r = this.resolve(s);
    const at = (keyword: string, value: fc.Arbitrary<unknown>, p: Path = path): void => {
      out.push({ path: p, keyword, value });
    };
    if (r.oneOf) {
      const branch = (r.oneOf as Schema[]).find((b) => this.matches(b, v));
      if (branch) out.push(...this.schemaViolations(v, branch, path, where));
      return out;
    }
    const wrongType = wrongTypeOf(r.type);
    if (wrongType) at('type', wrongType);
    if (r.enum)
      at(
        'enum',
        fc.constantFrom('', 'x', `${r.enum[0]}x`).filter((x) => !r.enum.includes(x)),
      );
    if (r.type === 'string') {
      if (r.pattern) {
        const re = new RegExp(r.pattern);
        at(
          'pattern',
          fc.constantFrom('', '!', 'G'.repeat(64), 'not/a/match', '0'.repeat(22)).filter((x) => !re.test(x)),
        );
      }
      if (r.maxLength !== undefined) at('maxLength', fc.constant('a'.repeat(r.maxLength + 1)));
      if (r.format === 'uri') at('format', fc.constantFrom('not a uri', '::', '//no-scheme', 'http://'));
      if (r.format === 'date-time')
        at('format', fc.constantFrom('2026-13-45T00:00:00Z', 'tomorrow', '2026-01-01', '2026-01-01T25:00:00Z'));
    }
    if (r.type === 'integer' || r.type === 'number') {
      if (r.minimum !== undefined) at('minimum', fc.integer({ min: r.minimum - 1000, max: r.minimum - 1 }));
      if (r.maximum !== undefined) at('maximum', fc.integer({ min: r.maximum + 1, max: r.maximum + 100_000 }));
      if (r.type === 'integer') at('type', fc.constantFrom(1.5, 2.25, -0.5));
    }
    if (r.type === 'array' && Array.isArray(v)) {
      if ((r.minItems ?? 0) > 0) at('minItems', fc.constant(v.slice(0, r.minItems - 1)));
      if (r.maxItems !== undefined) {
        const item = this.valid(r.items ?? {}, `${where}/*`);
        at(
          'maxItems',
          fc
            .array(item, { minLength: r.maxItems + 1 - v.length, maxLength: r.maxItems + 1 - v.length })
            .map((more) => [...v, ...more]),
        );
      }
      if (r.uniqueItems && v.length > 0)
        at(
          'uniqueItems',
          fc.nat({ max: v.length - 1 }).map((i) => [...v, v[i]]),
        );
      v.forEach((item, i) => {
        out.push(...this.schemaViolations(item, r.items ?? {}, [...path, i], `${where}/*`));
      });
    }
    if (r.type === 'object' && v && typeof v === 'object' && !Array.isArray(v)) {
      const o = v as Record<string, unknown>;
      for (const k of r.required ?? []) at('required', fc.constant(DELETE), [...path, k]);
      if (r.additionalProperties === false) {
        const known = new Set(Object.keys(r.properties ?? {}));
        at(
          'additionalProperties',
          fc.constantFrom('unknownProperty', 'Command', 'extra', 'maxruntime').filter((k) => !known.has(k)),
          [...path, ADD_KEY],
        );
      } else if (r.additionalProperties && typeof r.additionalProperties === 'object') {
        const wrong = wrongTypeOf(this.resolve(r.additionalProperties).type);
        if (wrong) at('additionalProperties', wrong, [...path, 'WRONG_TYPED']);
      }
      for (const [k, needs] of Object.entries((r.dependencies ?? {}) as Record<string, string[]>)) {
        if (k in o) for (const n of needs) at('dependencies', fc.constant(DELETE), [...path, n]);
      }
      for (const [k, child] of Object.entries(o)) {
        const ps = r.properties?.[k] ?? (typeof r.additionalProperties === 'object' ? r.additionalProperties : null);
        if (ps)
          out.push(
            ...this.schemaViolations(child, ps, [...path, k], r.properties?.[k] ? `${where}/${k}` : `${where}/*`),
          );
      }
    }
    return out;
  }
}

export interface Violation {
  path: Path;
  keyword: string;
  value: fc.Arbitrary<unknown>;
}

/** Marker values for `applyAt`: delete the property; or (as the last path element) add a property named by value. */
export const DELETE = Symbol('delete');
export const ADD_KEY = Symbol.for('add-key') as unknown as string;

function wrongTypeOf(type: unknown): fc.Arbitrary<unknown> | undefined {
  switch (type) {
    case 'object':
      return fc.constantFrom<unknown>('x', 1, [], null, true);
    case 'array':
      return fc.constantFrom<unknown>('x', 1, {}, null);
    case 'string':
      return fc.constantFrom<unknown>(1, true, null, [], {});
    case 'integer':
    case 'number':
      return fc.constantFrom<unknown>('1', true, null, []);
    case 'boolean':
      return fc.constantFrom<unknown>('true', 1, null, 0);
    default:
      return undefined;
  }
}

/** A copy of `root` with the value at `path` replaced (or deleted, or a property added). */
export function applyAt(root: unknown, path: Path, value: unknown): unknown {
  if (path.length === 0) return value;
  const [head, ...rest] = path;
  const copy: any = Array.isArray(root) ? [...root] : { ...(root as object) };
  if (rest.length === 0) {
    if (head === ADD_KEY) copy[value as string] = 1;
    else if (value === DELETE) {
      if (Array.isArray(copy)) copy.splice(head as number, 1);
      else delete copy[head as string];
    } else copy[head as string] = value;
    return copy;
  }
  copy[head as string] = applyAt(copy[head as string], rest, value);
  return copy;
}

/** Near-valid instances: a valid one with exactly one schema constraint broken, and which constraint it was. A change
 * that the schema still accepts (removing cacheName turns a preloaded cache into a read-only directory) is dropped. */
export function schemaBreaker<T>(
  walker: SchemaWalker,
  valid: fc.Arbitrary<T>,
  pick: (v: T) => unknown = (v) => v,
  put: (v: T, broken: unknown) => T = (_v, b) => b as T,
): fc.Arbitrary<{ value: T; keyword: string; path: Path }> {
  return valid
    .chain((v) => {
      const sites = walker.schemaViolations(pick(v));
      if (sites.length === 0) return fc.constant({ value: v, keyword: 'none', path: [] as Path });
      return fc.nat({ max: sites.length - 1 }).chain((i) =>
        sites[i]!.value.map((x) => ({
          value: put(v, applyAt(pick(v), sites[i]!.path, x)),
          keyword: sites[i]!.keyword,
          path: sites[i]!.path,
        })),
      );
    })
    .filter((b) => !walker.matches(walker.root, pick(b.value)));
}
