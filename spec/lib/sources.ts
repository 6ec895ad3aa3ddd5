// How statements cite their sources: upstream file at a pinned version, or the summary/seed section.
import type { Generation } from '../types.ts';

export const BOTH: Generation[] = ['v11', 'current'];
export const V11: Generation[] = ['v11'];
export const CURRENT: Generation[] = ['current'];

/** taskcluster/taskcluster monorepo at tag v106.0.0 (commit 124220f7167a). */
export const tc = (path: string): string => `taskcluster/taskcluster@v106.0.0: ${path}`;
/** generic-worker inside the monorepo at v106.0.0. */
export const gw = (path: string): string => `taskcluster/taskcluster@v106.0.0: workers/generic-worker/${path}`;
/** The standalone generic-worker repository at v11.0.1 (commit a0a5271d). */
export const gw11 = (path: string): string => `taskcluster/generic-worker@v11.0.1: ${path}`;
/** Statement Q-n of the normative Queue-worker summary. */
export const q = (n: number): string => `queue-worker-interaction.md §5 Q-${n}`;
/** A section of the generic-worker behaviour catalogue. */
export const gwb = (section: string): string => `generic-worker-behaviour.md §${section}`;
/** The generic-worker 11.0.1 README (seed). */
export const seed = (section: string): string => `seed: generic-worker 11.0.1 README, ${section}`;
