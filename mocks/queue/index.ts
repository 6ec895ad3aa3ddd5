// All Queue routes, in match order.
import type { Route } from '../router.ts';
import { artifactRoutes } from './handlers/artifacts.ts';
import { claimRoutes } from './handlers/claim.ts';
import { resolveRoutes } from './handlers/resolve.ts';
import { taskRoutes } from './handlers/tasks.ts';

export const queueRoutes: Route[] = [...claimRoutes, ...resolveRoutes, ...artifactRoutes, ...taskRoutes];
