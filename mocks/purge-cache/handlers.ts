// Purge-cache routes: purgeCache (harness) and purgeRequests (what a worker polls), allPurgeRequests.
import { json, type Route } from '../router.ts';

const P = '/api/purge-cache/v1';

export const purgeRoutes: Route[] = [
  {
    name: 'allPurgeRequests',
    service: 'purge-cache',
    method: 'GET',
    path: `${P}/purge-cache/list`,
    handle({ state, authorize }) {
      authorize('purge-cache:all-purge-requests');
      return json({ requests: state.purge.list() });
    },
  },
  {
    name: 'purgeCache',
    service: 'purge-cache',
    method: 'POST',
    path: `${P}/purge-cache/<workerPoolId*>`,
    input: 'purge-cache/v1/purge-cache-request',
    handle({ params, body, state, authorize }) {
      authorize(`purge-cache:${params.workerPoolId}:${body.cacheName}`);
      state.purge.purge(params.workerPoolId, body.cacheName);
      return json({});
    },
  },
  {
    name: 'purgeRequests',
    service: 'purge-cache',
    method: 'GET',
    path: `${P}/purge-cache/<workerPoolId*>`,
    handle({ params, query, state, authorize }) {
      // The generated reference spells the scope with `::`; accept the single-colon form workers are given too.
      authorize({
        AnyOf: [
          `purge-cache:purge-requests::${params.workerPoolId}`,
          `purge-cache:purge-requests:${params.workerPoolId}`,
        ],
      });
      const since = query.since !== undefined ? Date.parse(query.since) : undefined;
      return json({ requests: state.purge.list(params.workerPoolId, Number.isNaN(since) ? undefined : since) });
    },
  },
];
