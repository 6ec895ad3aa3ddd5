// features.d2g.*: Docker Worker payloads run by current generic-worker through d2g (d2g_feature.go,
// tools/d2g). Cases need Docker and a worker with d2gConfig.enableD2G (requires-tag d2g).
import { CURRENT, gw, tc } from '../lib/sources.ts';
import type { Statement } from '../types.ts';

const area = 'features';
const feature = gw('d2g_feature.go');
const d2g = tc('tools/d2g/d2g.go');

export const statements: Statement[] = [
  {
    id: 'features.d2g.docker-worker-payload',
    area,
    level: 'MUST',
    text: "With d2gConfig.enableD2G, a Docker Worker payload (image, command, maxRunTime) is translated to a generic-worker payload and run in a container; the run resolves as the container's command does.",
    source: [feature, d2g, gw('d2g_test.go (TestD2GWithValidDockerWorkerPayload)')],
    generations: CURRENT,
    platforms: ['linux'],
  },
  {
    id: 'features.d2g.invalid-payload',
    area,
    level: 'MUST',
    text: 'A payload that is neither a valid generic-worker payload nor a valid Docker Worker payload (e.g. image and command without maxRunTime) resolves malformed-payload.',
    source: [feature, gw('d2g_test.go (TestD2GWithInvalidDockerWorkerPayload)')],
    generations: CURRENT,
    platforms: ['linux'],
  },
  {
    id: 'features.d2g.volume-artifacts',
    area,
    level: 'MUST',
    text: 'A Docker Worker volume artifact is published like a directory artifact: one artifact per file below it, named "<name>/<relative path>".',
    source: [d2g, gw('d2g_test.go (TestD2GVolumeArtifacts)')],
    generations: CURRENT,
    platforms: ['linux'],
  },
  {
    id: 'features.d2g.artifacts-optional',
    area,
    level: 'MUST',
    text: 'Translated Docker Worker artifacts are optional, as Docker Worker treated them: a missing one becomes an error artifact and the task still completes.',
    source: [d2g, gw('d2g_test.go (TestD2GArtifactDoesNotExist)')],
    generations: CURRENT,
    platforms: ['linux'],
  },
];
