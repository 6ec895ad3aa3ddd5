// Purge-cache routes: purgeCache (harness) and purgeRequests (what a worker polls), allPurgeRequests.
import { PAGINATION_QUERY as PAGINATION } from '../pagination.ts';
import { json, type Route } from '../router.ts';

const P = '/api/purge-cache/v1';

export const purgeRoutes: Route[] = [
  {
    name: 'allPurgeRequests',
    service: 'purge-cache',
    method: 'GET',
    path: `${P}/purge-cache/list`,
    scopes: () => 'purge-cache:all-purge-requests',
    query: PAGINATION,
    handle({ state }) {
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
    // services/purge-cache/src/api.js declares `purge-cache:purge-requests::<workerPoolId>`; the single-colon
    // form workers are given is accepted too.
    scopes: (p) => ({
      AnyOf: [`purge-cache:purge-requests::${p.workerPoolId}`, `purge-cache:purge-requests:${p.workerPoolId}`],
    }),
    query: { since: (v) => (Date.parse(v) ? null : 'Invalid Date') },
    handle({ params, query, state }) {
      const since = query.since !== undefined ? Date.parse(query.since) : undefined;
      return json({ requests: state.purge.list(params.workerPoolId, Number.isNaN(since) ? undefined : since) });
    },
  },
];
