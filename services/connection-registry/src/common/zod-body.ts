import { z } from 'zod';
import { invalid } from './api-error';

/** Parses a request body or query with a zod schema; a failure is a 400 with field-level messages. */
export function parseWith<S extends z.ZodType>(schema: S, input: unknown, what = 'the request body'): z.infer<S> {
  const result = schema.safeParse(input ?? {});
  if (result.success) return result.data;
  throw invalid(
    `${what} is invalid`,
    result.error.issues.map((i) => ({ path: i.path.join('.') || '(root)', message: i.message })),
  );
}

export const pageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().regex(/^\d+$/, 'cursor must come from a previous page').optional(),
});
export type PageQuery = z.infer<typeof pageQuery>;

export interface Page<T> {
  items: T[];
  /** Pass as `cursor` for the next page; absent on the last page. */
  nextCursor?: string;
}

export function pageOf<T>(items: T[], query: PageQuery): Page<T> {
  const offset = Number(query.cursor ?? 0);
  const hasMore = items.length > query.limit;
  return { items: items.slice(0, query.limit), ...(hasMore ? { nextCursor: String(offset + query.limit) } : {}) };
}

/** A zod schema as the JSON schema the OpenAPI description shows for a body. */
export function openApiSchema(s: z.ZodType): Record<string, unknown> {
  return z.toJSONSchema(s, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
}
