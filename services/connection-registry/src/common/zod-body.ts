import { z } from 'zod';
import { FieldProblem, invalid } from './api-error';
import { disguisedNames } from './names';

/** Parses a request body or query with a zod schema; a failure is a 400 with field-level messages. */
export function parseWith<S extends z.ZodType>(schema: S, input: unknown, what = 'the request body'): z.infer<S> {
  const result = schema.safeParse(input ?? {});
  if (!result.success) throw problems(what, result.error.issues.map((i) => ({ path: i.path.join('.') || '(root)', message: i.message })));
  const disguised = disguisedNames(result.data);
  if (disguised.length > 0) throw problems(what, disguised);
  return result.data;
}

/** The message names the fields, so a client that shows only the message still says what to fix. */
function problems(what: string, details: FieldProblem[]) {
  return invalid(`${what} is invalid: ${details.map((d) => d.path).join(', ')}`, details);
}

/** Strings first: a query can repeat a parameter, and a number of 400 digits must not reach the database. */
export const pageQuery = z.object({
  limit: z
    .string()
    .regex(/^\d{1,3}$/, 'limit must be a whole number from 1 to 100')
    .transform(Number)
    .pipe(z.number().min(1, 'limit must be a whole number from 1 to 100').max(100, 'limit must be a whole number from 1 to 100'))
    .default(20),
  cursor: z.string().regex(/^\d{1,9}$/, 'cursor must be the nextCursor of a previous page').optional(),
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
