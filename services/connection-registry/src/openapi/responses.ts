import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import { errorExamples } from './examples';
import { ViewName } from './view-schemas';

/** The errors an operation can answer, each in the API's one error shape (common/api-error.ts). */
export type ErrorStatus = keyof typeof errorExamples;

const errorMeanings: Record<ErrorStatus, string> = {
  400: 'The request is invalid: `error.details` names each field and what to fix.',
  401: 'No API key, or not a known one, and no console session: send "Authorization: Bearer <key>" (or sign the console in: POST /session).',
  403: "The API key's role does not allow this, or a change with the console's session cookie lacks its X-CSRF-Token header.",
  404: 'No such object, or none you may see.',
  409: 'The object is not in a state that allows this, or another request changed it meanwhile: the message says what to do.',
  412: 'The If-Match version is not the current one: read the object again and apply the change to it.',
  413: 'The request body is over 100 kB.',
  422: 'The Idempotency-Key was used with another request.',
  429: 'Too many requests for this API key: wait the seconds Retry-After says.',
  502: 'The ad platform failed or refused the call: the message says what it said.',
};

/** What every operation behind an API key can answer: no key, and too many requests. */
const keyed: ErrorStatus[] = [401, 429];

export interface Success {
  status: 200 | 201 | 202;
  description: string;
  /** A component of ./view-schemas.ts. */
  schema: ViewName;
  example: unknown;
}

const ref = (name: ViewName) => ({ $ref: `#/components/schemas/${name}` });

const errorResponse = (status: ErrorStatus) =>
  ApiResponse({ status, description: errorMeanings[status], content: { 'application/json': { schema: ref('ApiError'), example: errorExamples[status] } } });

/**
 * An operation's answers: its success (a schema and an example, or 204 without a body) and the
 * errors it can give besides those of every keyed operation (401, 429).
 */
export function Answers(success: Success | { status: 204; description: string }, ...errors: ErrorStatus[]): MethodDecorator {
  const ok =
    'schema' in success
      ? ApiResponse({ status: success.status, description: success.description, content: { 'application/json': { schema: ref(success.schema), example: success.example } } })
      : ApiResponse({ status: 204, description: success.description });
  return applyDecorators(ok, ...[...new Set([...keyed, ...errors])].sort((a, b) => a - b).map(errorResponse));
}
