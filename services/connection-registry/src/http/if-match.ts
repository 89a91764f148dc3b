import { invalid } from '../common/api-error';

/** The ETag of a versioned resource: its version, quoted. */
export const etagOf = (version: number) => `"${version}"`;

/**
 * The version an `If-Match` header expects, or undefined without one (or with `*`). A weak ETag
 * (`W/"3"`) counts as its version: versions change with every write.
 */
export function expectedVersion(header: string | string[] | undefined): number | undefined {
  if (header === undefined || header.toString().trim() === '*') return undefined;
  const match = typeof header === 'string' ? /^\s*(?:W\/)?"(\d+)"\s*$/.exec(header) : null;
  if (!match) throw invalid('the If-Match header is invalid', [{ path: 'If-Match', message: 'send the ETag of the version you changed, as GET answered it, e.g. "3"' }]);
  return Number(match[1]);
}
