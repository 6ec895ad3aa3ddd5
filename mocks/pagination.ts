// Offset pagination as lib-api's paginateResults does it (libraries/api/src/pagination.js, v106): `limit`
// capped at 1000, one extra row fetched to know whether there is more, the offset in an opaque hashids token.
import Hashids from 'hashids';
import { inputError } from './errors.ts';

const hashids = new Hashids('salt', 10);

/** lib-api paginateResults.query: the query-string parameters a paginated route accepts. */
export const PAGINATION_QUERY = { continuationToken: /./, limit: /^[0-9]+$/ };

export function paginate<T>(
  all: readonly T[],
  query: Record<string, string>,
  maxLimit = 1000,
): { rows: T[]; continuationToken?: string } {
  const pageSize = Math.min(Number.parseInt(query.limit || String(maxLimit), 10), maxLimit);
  let offset = 0;
  if (query.continuationToken) {
    let decoded: ReturnType<Hashids['decode']>;
    try {
      decoded = hashids.decode(query.continuationToken);
    } catch {
      throw inputError('Invalid continuation token');
    }
    offset = decoded.length ? Number(decoded[0]) : 0;
  }
  const rows = all.slice(offset, offset + pageSize + 1);
  if (rows.length <= pageSize) return { rows };
  rows.splice(-1);
  const next = offset + pageSize;
  return next ? { rows, continuationToken: hashids.encode(next) } : { rows };
}
