import { randomBytes } from 'node:crypto';
import { EmulatorResponse } from '../http-kit';

export interface GraphErrorSpec {
  code: number;
  message: string;
  subcode?: number;
  type?: string;
  status?: number;
  userTitle?: string;
  userMessage?: string;
  headers?: Record<string, string>;
}

/** An answer in Graph's error envelope. Throttling comes as HTTP 400, as Meta sends it. */
export function graphError(spec: GraphErrorSpec): EmulatorResponse {
  return {
    status: spec.status ?? (spec.code === 190 ? 401 : spec.code === 2 || spec.code === 1 ? 500 : 400),
    headers: spec.headers,
    body: {
      error: {
        message: spec.message,
        type: spec.type ?? 'OAuthException',
        code: spec.code,
        ...(spec.subcode !== undefined ? { error_subcode: spec.subcode } : {}),
        ...(spec.userTitle ? { error_user_title: spec.userTitle } : {}),
        ...(spec.userMessage ? { error_user_msg: spec.userMessage } : {}),
        ...(spec.code === 1 || spec.code === 2 ? { is_transient: true } : {}),
        fbtrace_id: randomBytes(9).toString('base64url'),
      },
    },
  };
}

export class GraphFailure extends Error {
  constructor(readonly spec: GraphErrorSpec) {
    super(spec.message);
  }
}

/** What Graph answers for an object that does not exist, was deleted, or the token's user cannot see. */
export const unknownObject = (id: string, method: string) =>
  new GraphFailure({
    code: 100,
    subcode: 33,
    type: 'GraphMethodException',
    message: `Unsupported ${method.toLowerCase()} request. Object with ID '${id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.`,
  });

export const badParameter = (message: string) => new GraphFailure({ code: 100, message: `(#100) ${message}` });

export const termsNotAccepted = () =>
  new GraphFailure({
    code: 200,
    subcode: 1870090,
    type: 'OAuthException',
    message: '(#200) Custom Audience Terms Not Accepted',
    userTitle: 'Custom Audience Terms Not Accepted',
    userMessage: 'You need to accept the Custom Audience Terms before you can create or edit an audience or an ad set.',
  });

export const audienceUpdateFailed = (message: string, subcode?: number) =>
  new GraphFailure({ code: 2650, subcode, type: 'OAuthException', message: `(#2650) ${message}` });
