import { applyDecorators } from '@nestjs/common';
import { ApiQuery } from '@nestjs/swagger';

/** `limit` and `cursor` of a list (common/zod-body.ts' pageQuery). */
export const PageParameters = (): MethodDecorator =>
  applyDecorators(
    ApiQuery({ name: 'limit', required: false, schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 }, description: 'items on a page' }),
    ApiQuery({ name: 'cursor', required: false, schema: { type: 'string', pattern: '^\\d{1,9}$' }, description: 'the `nextCursor` of the previous page; absent for the first' }),
  );
