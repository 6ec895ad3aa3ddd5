// payload.supersederUrl, generic-worker 10.2–39 semantics (generic-worker-behaviour.md §8.5): ask the
// service (URL used verbatim) which tasks supersede this one; when another task is listed first, upload
// public/superseded-by.json and resolve exception/superseded without running commands. Any problem
// talking to the service is only a warning: the task then runs normally.
import { bufferSource } from '../artifact-upload.ts';
import type { ResolvedConfig } from '../config.ts';
import type { TaskContext } from '../task-run.ts';
import { type Feature, TaskError, type TaskFeature } from './feature.ts';

export const SUPERSEDED_BY = 'public/superseded-by.json';

/** The first superseding task id, or undefined when the task is current; throws a message on a bad answer. */
export function supersedingTask(body: unknown, taskId: string): string | undefined {
  const list = (body as { supersedes?: unknown })?.supersedes;
  if (!Array.isArray(list) || !list.every((t) => typeof t === 'string')) {
    throw new Error(`expected {"supersedes": [taskId, ...]}, got ${JSON.stringify(body)?.slice(0, 200)}`);
  }
  const first = list[0] as string | undefined;
  return first === undefined || first === taskId ? undefined : first;
}

class SupersedeTask implements TaskFeature {
  private readonly ctx: TaskContext;
  readonly reservedArtifacts = [SUPERSEDED_BY];

  constructor(ctx: TaskContext) {
    this.ctx = ctx;
  }

  async start(): Promise<void> {
    const { ctx } = this;
    const url: string = ctx.payload.supersederUrl;
    let body: unknown;
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(30_000) });
      if (res.status !== 200) throw new Error(`HTTP ${res.status} ${res.statusText}`);
      const text = await res.text();
      try {
        body = JSON.parse(text);
      } catch (err) {
        ctx.log.warn(
          `[supersede] Not able to interpret response from supersederUrl ${url} as json list of task IDs: ${(err as Error).message}`,
        );
        ctx.log.warn('[supersede] Not able to see if this task has been superseded!');
        return;
      }
    } catch (err) {
      ctx.log.warn(`[supersede] Problem accessing supersederUrl: ${(err as Error).message}`);
      ctx.log.warn('[supersede] Not able to see if this task has been superseded!');
      return;
    }
    let by: string | undefined;
    try {
      by = supersedingTask(body, ctx.taskId);
    } catch (err) {
      ctx.log.warn(
        `[supersede] Not able to interpret response from supersederUrl ${url} as json list of task IDs: ${(err as Error).message}`,
      );
      ctx.log.warn('[supersede] Not able to see if this task has been superseded!');
      return;
    }
    if (by === undefined) return;
    // From memory: nothing is written into the task directory, where the task could have planted a link.
    await ctx.uploader.s3({
      name: SUPERSEDED_BY,
      source: bufferSource(`${JSON.stringify({ taskId: by }, null, 2)}\n`),
      contentType: 'application/json',
      expires: ctx.task.expires,
      gzip: true,
    });
    throw new TaskError('superseded', `Task ${ctx.taskId} has been superseded by task ${by}`);
  }

  async stop(): Promise<void> {}
}

export const supersedeFeature: Feature<ResolvedConfig, TaskContext, TaskContext> = {
  name: 'supersede',
  after: ['payload-validator'],
  enabled: () => true,
  // Only with config enableSupersede (11.0.1 semantics); current generic-worker accepts and ignores the URL.
  requested: (ctx) =>
    (ctx.config as { enableSupersede?: boolean }).enableSupersede === true &&
    typeof ctx.payload?.supersederUrl === 'string',
  forTask: (ctx) => new SupersedeTask(ctx),
};
