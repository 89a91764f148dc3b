import { HttpStatus } from '@nestjs/common';
import { ErrorRequestHandler } from 'express';
import { ApiError } from '../common/api-error';

/**
 * The largest request body, counted after decompression (so a small gzip body that inflates past
 * it is refused too): the API's bodies are a few kilobytes.
 */
export const BODY_LIMIT_BYTES = 100 * 1024;

/**
 * Express' body parser refuses a body before any handler runs, with errors that carry a `type`;
 * this answers them in the API's terms. Their messages are not passed on: a JSON parse error
 * quotes the body.
 */
export const unreadableBody: ErrorRequestHandler = (error: unknown, _req, _res, next) => next(translate(error) ?? error);

function translate(error: unknown): ApiError | undefined {
  // http-errors marks what a client caused as `expose`; a body that does not decompress has no `type`.
  const { type, status, expose } = (error ?? {}) as { type?: unknown; status?: unknown; expose?: unknown };
  if (expose !== true || typeof status !== 'number' || status < 400 || status > 499) return undefined;
  switch (type) {
    case 'entity.too.large':
      return new ApiError(HttpStatus.PAYLOAD_TOO_LARGE, 'payload_too_large', `the request body is over ${BODY_LIMIT_BYTES / 1024} kB (counted after decompression); send a smaller one`);
    case 'entity.parse.failed':
      return new ApiError(HttpStatus.BAD_REQUEST, 'invalid_json', 'the request body is not valid JSON; send one JSON object with Content-Type: application/json');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new ApiError(HttpStatus.UNSUPPORTED_MEDIA_TYPE, 'unsupported_encoding', "the request body's encoding is not supported; send UTF-8, as it is or with Content-Encoding gzip or deflate");
    default:
      return new ApiError(status, 'bad_request', 'the request body could not be read (an aborted upload, or a compressed body that does not decompress); send it again');
  }
}
