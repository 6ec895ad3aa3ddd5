// A QueueModel on a hand-moved clock, for unit and model-based tests (no HTTP, no real waiting).
import slugid from 'slugid';
import { Auth } from '../auth.ts';
import { ObjectModel } from '../object/model.ts';
import { QueueModel } from './model.ts';

export interface ModelHarness {
  model: QueueModel;
  now(): number;
  /** Move the clock and apply what became due. */
  advance(ms: number): void;
  /** A createTask body for queue `prov/wt-unit`, created now, deadline in `deadlineMs`. */
  def(overrides?: Record<string, unknown>, deadlineMs?: number): Record<string, any>;
  create(overrides?: Record<string, unknown>, deadlineMs?: number): string;
}

export function modelHarness(
  claimTimeoutSeconds = 20,
  start = Date.parse('2030-01-01T00:00:00.000Z'),
  deadlineDelayMs = 0,
): ModelHarness {
  let t = start;
  const now = () => t;
  const auth = new Auth({ clients: [], now });
  const storeUrl = (key: string) => `http://store.invalid/${key}`;
  const objects = new ObjectModel(now, { storeUrl, downloadUrl: (n) => `http://object.invalid/${n}` });
  const model = new QueueModel({
    now,
    claimTimeoutSeconds,
    deadlineDelayMs,
    issueCredentials: (c, s, a, b) => auth.issue(c, s, a, b),
    storeUrl,
    objects,
  });
  const def = (overrides: Record<string, unknown> = {}, deadlineMs = 3600_000) => ({
    taskQueueId: 'prov/wt-unit',
    created: new Date(t).toISOString(),
    deadline: new Date(t + deadlineMs).toISOString(),
    payload: {},
    metadata: { name: 'n', description: 'd', owner: 'o@example.com', source: 'https://example.com' },
    ...overrides,
  });
  return {
    model,
    now,
    advance(ms) {
      t += ms;
      model.tick();
    },
    def,
    create(overrides, deadlineMs) {
      const id = slugid.nice();
      model.createTask(id, def(overrides, deadlineMs));
      return id;
    },
  };
}
