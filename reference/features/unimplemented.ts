// Payload features of current generic-worker that tc-worker does not implement, because they need
// what it does not ship: `interactive` (a websocket shell, generic-worker's interactive package) and,
// on Linux, `loopbackAudio` / `loopbackVideo` (the snd-aloop and v4l2loopback kernel modules). A task
// asking for one resolves malformed-payload saying so, as generic-worker does for a feature its worker
// pool disables, instead of running without what it asked for. The kit specifies them (spec/features/).
import type { ResolvedConfig } from '../config.ts';
import type { TaskContext } from '../task-run.ts';
import type { Feature } from './feature.ts';

function unimplemented(
  name: string,
  payloadKey: string,
  why: string,
): Feature<ResolvedConfig, TaskContext, TaskContext> {
  return {
    name,
    after: ['payload-validator'],
    enabled: () => `tc-worker does not implement it: ${why}`,
    requested: (ctx) => ctx.payload?.features?.[payloadKey] === true,
    forTask: () => ({ async start() {}, async stop() {} }),
  };
}

export const interactiveFeature = unimplemented(
  'interactive',
  'interactive',
  'it needs an interactive shell server, which tc-worker does not ship',
);
export const loopbackAudioFeature = unimplemented(
  'loopback-audio',
  'loopbackAudio',
  'it needs the snd-aloop kernel module and root to load it',
);
export const loopbackVideoFeature = unimplemented(
  'loopback-video',
  'loopbackVideo',
  'it needs the v4l2loopback kernel module and root to load it',
);
