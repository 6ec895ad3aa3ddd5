// Checker for features.interactive.shell-artifact: the shell page is a reference artifact whose URL
// tells a browser where the task's shell socket is.
import { artifactName, body, isOk, verdict } from '../lib/observe.ts';
import type { Checker } from '../types.ts';

export const SHELL_ARTIFACT = 'private/generic-worker/shell.html';

export const shellArtifact: Checker = (obs) => {
  const asked = Object.entries(obs.tasks).filter(([, t]) => t.definition?.payload?.features?.interactive === true);
  if (asked.length === 0) return null;
  const problems: string[] = [];
  for (const [id] of asked) {
    const made = obs.trace.filter(
      (e) => e.taskId === id && e.route === 'createArtifact' && isOk(e) && artifactName(e) === SHELL_ARTIFACT,
    );
    if (made.length === 0) {
      problems.push(`${id}: no ${SHELL_ARTIFACT}`);
      continue;
    }
    const b = body(made[0]!);
    let socket: string | null = null;
    try {
      socket = new URL(String(b.url)).searchParams.get('socketUrl');
    } catch {}
    if (b.storageType !== 'reference') problems.push(`${id}: ${SHELL_ARTIFACT} is ${b.storageType}, not reference`);
    else if (!socket || !/^wss?:\/\//.test(socket))
      problems.push(`${id}: ${SHELL_ARTIFACT} points at ${b.url}, without a ws(s) socketUrl parameter`);
  }
  return verdict(problems, `${asked.length} interactive task(s) published ${SHELL_ARTIFACT} with a socketUrl`);
};
