// features.resource-monitor.*: current generic-worker's memory watch over each command
// (resource_monitor_feature.go, process.MonitorResources), on by default.
import { CURRENT, gw } from '../lib/sources.ts';
import type { Statement } from '../types.ts';

const area = 'features';
const feature = gw('resource_monitor_feature.go');
const monitor = gw('process/process.go (MonitorResources, Result.String)');

export const statements: Statement[] = [
  {
    id: 'features.resource-monitor.usage-reported',
    area,
    level: 'SHOULD',
    text: 'While the resource monitor runs, each monitored command\'s result block reports "Average Available System Memory", "Average System Memory Used", "Peak System Memory Used" and "Total System Memory".',
    source: [feature, monitor],
    generations: CURRENT,
  },
  {
    id: 'features.resource-monitor.aborts-sustained',
    area,
    level: 'MUST',
    text: 'When memory use stays above maxMemoryUsagePercent while available memory stays below minAvailableMemoryBytes for longer than allowedHighMemoryDurationSecs, the worker warns "Memory usage above ..." and aborts the task failed/failed.',
    source: [feature, monitor, gw('gwconfig/config.go')],
    generations: CURRENT,
  },
  {
    id: 'features.resource-monitor.warn-only',
    area,
    level: 'MUST',
    text: 'With disableOOMProtection the worker only warns, once per high-memory episode, adding "OOM protections are disabled, continuing task...", and the task goes on.',
    source: [monitor, gw('gwconfig/config.go')],
    generations: CURRENT,
  },
  {
    id: 'features.resource-monitor.payload-off',
    area,
    level: 'MUST',
    text: 'features.resourceMonitor false turns the monitor off for that task: no memory readings in its log and no abort, whatever the thresholds.',
    source: [feature, gw('generated_insecure_linux.go (features.resourceMonitor)')],
    generations: CURRENT,
  },
  {
    id: 'features.resource-monitor.on-by-default',
    area,
    level: 'MUST',
    text: 'features.resourceMonitor defaults to true, so where config enableResourceMonitor is false a task that does not set it false resolves malformed-payload.',
    source: [
      feature,
      gw('main.go (TaskRun.Run, the feature loop)'),
      gw('generated_insecure_linux.go (features.resourceMonitor)'),
    ],
    generations: CURRENT,
  },
];
