// Fault injection: rules matched per request before the handler runs. Scriptable from tests
// (`services.faults.add(rule)`) and from the CLI (`--faults FILE`, a JSON array of rules).

export interface FaultRule {
  /** API method name to match (`claimWork`, `reclaimTask`, `storePut`, ...); any when absent. */
  route?: string;
  method?: string;
  /** A regular expression matched against the request path. */
  path?: string;
  taskId?: string;
  /** Answer with this status and an error body in the real shape. */
  status?: number;
  code?: string;
  message?: string;
  /** Wait this long before answering (alone: then handle normally). */
  delayMs?: number;
  /** Drop the connection without an answer. */
  reset?: boolean;
  /** Let the first N matching requests through untouched. */
  after?: number;
  /** Apply at most N times; unlimited when absent. */
  times?: number;
  /** After a matching task is claimed, cancel it this many seconds later (a harness-side cancel). */
  cancelAfterSeconds?: number;
  /**
   * Answer 200 with a body that is not the route's JSON, as a broken proxy or a cut connection would
   * (the handler does not run, so nothing changes): `truncated` JSON, an `html` error page, or `empty`.
   */
  garble?: Garble;
}

export const GARBLES = ['truncated', 'html', 'empty'] as const;
export type Garble = (typeof GARBLES)[number];

export interface ActiveFault extends FaultRule {
  id: number;
  seen: number;
  applied: number;
}

const RULE_KEYS = new Set([
  'route',
  'method',
  'path',
  'taskId',
  'status',
  'code',
  'message',
  'delayMs',
  'reset',
  'after',
  'times',
  'cancelAfterSeconds',
  'garble',
]);

/** Check a rule from untrusted JSON; the error says which rule and field is wrong. */
export function validateFaultRule(rule: unknown, where = 'fault'): FaultRule {
  if (!rule || typeof rule !== 'object' || Array.isArray(rule)) throw new Error(`${where}: must be an object`);
  const r = rule as Record<string, unknown>;
  for (const k of Object.keys(r)) if (!RULE_KEYS.has(k)) throw new Error(`${where}: unknown field "${k}"`);
  for (const k of ['route', 'method', 'path', 'taskId', 'code', 'message']) {
    if (r[k] !== undefined && typeof r[k] !== 'string') throw new Error(`${where}.${k}: must be a string`);
  }
  for (const k of ['status', 'delayMs', 'after', 'times', 'cancelAfterSeconds']) {
    if (r[k] !== undefined && (typeof r[k] !== 'number' || !Number.isFinite(r[k]) || (r[k] as number) < 0)) {
      throw new Error(`${where}.${k}: must be a non-negative number`);
    }
  }
  if (r.status !== undefined && ((r.status as number) < 100 || (r.status as number) > 599)) {
    throw new Error(`${where}.status: must be an HTTP status (100-599)`);
  }
  if (r.reset !== undefined && typeof r.reset !== 'boolean') throw new Error(`${where}.reset: must be a boolean`);
  if (r.path !== undefined) {
    try {
      new RegExp(r.path as string);
    } catch {
      throw new Error(`${where}.path: not a valid regular expression`);
    }
  }
  if (r.garble !== undefined && !(GARBLES as readonly unknown[]).includes(r.garble)) {
    throw new Error(`${where}.garble: must be one of ${GARBLES.join(', ')}`);
  }
  if (
    r.status === undefined &&
    r.delayMs === undefined &&
    !r.reset &&
    r.cancelAfterSeconds === undefined &&
    r.garble === undefined
  ) {
    throw new Error(`${where}: needs one of status, delayMs, reset, cancelAfterSeconds, garble`);
  }
  return r as FaultRule;
}

export interface FaultTarget {
  route: string;
  method: string;
  path: string;
  taskId?: string;
}

export class Faults {
  private rules: ActiveFault[] = [];
  private nextId = 1;

  add(rule: FaultRule): number {
    const checked = validateFaultRule(rule);
    const id = this.nextId++;
    this.rules.push({ ...checked, id, seen: 0, applied: 0 });
    return id;
  }

  remove(id: number): void {
    this.rules = this.rules.filter((r) => r.id !== id);
  }

  clear(): void {
    this.rules = [];
  }

  list(): ActiveFault[] {
    return this.rules.map((r) => ({ ...r }));
  }

  private matches(r: ActiveFault, t: FaultTarget): boolean {
    if (r.route !== undefined && r.route !== t.route) return false;
    if (r.method !== undefined && r.method.toUpperCase() !== t.method) return false;
    if (r.taskId !== undefined && r.taskId !== t.taskId) return false;
    if (r.path !== undefined && !new RegExp(r.path).test(t.path)) return false;
    return true;
  }

  /** The request-time fault for this request (not cancel rules), counting it as applied. */
  take(t: FaultTarget): ActiveFault | undefined {
    for (const r of this.rules) {
      if (r.cancelAfterSeconds !== undefined || !this.matches(r, t)) continue;
      r.seen++;
      if (r.after !== undefined && r.seen <= r.after) continue;
      if (r.times !== undefined && r.applied >= r.times) continue;
      r.applied++;
      return { ...r };
    }
    return undefined;
  }

  /** Cancel rules that apply to a task just claimed. */
  cancelRulesFor(taskId: string): ActiveFault[] {
    const out: ActiveFault[] = [];
    for (const r of this.rules) {
      if (r.cancelAfterSeconds === undefined || (r.taskId !== undefined && r.taskId !== taskId)) continue;
      if (r.times !== undefined && r.applied >= r.times) continue;
      r.applied++;
      out.push({ ...r });
    }
    return out;
  }
}
