import { randomBytes } from 'node:crypto';
import { z } from 'zod';
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

/** Graph's usage header for a custom-audience budget: `estimated_time_to_regain_access` is in minutes. */
export function usageHeader(accountId: string, callCountPercent: number, regainAccessMinutes: number): Record<string, string> {
  return {
    'x-business-use-case-usage': JSON.stringify({
      [accountId]: [{ type: 'custom_audience', call_count: callCountPercent, total_cputime: 1, total_time: 1, estimated_time_to_regain_access: regainAccessMinutes }],
    }),
  };
}

/** Graph's messages for the codes a test may ask for by number alone. */
const MESSAGES: Record<number, string> = {
  1: 'An unknown error occurred',
  2: 'An unexpected error has occurred. Please retry your request later.',
  4: '(#4) Application request limit reached',
  17: '(#17) User request limit reached',
  32: '(#32) Page request limit reached',
  190: 'Error validating access token: The session has been invalidated because the user changed their password or Facebook has changed the session for security reasons.',
  613: '(#613) Calls to this api have exceeded the rate limit.',
  80003: '(#80003) There have been too many calls to this ad-account. Wait a bit and try again.',
};

/** An error a test asks the emulator to answer with (POST /_emulator/faults `errorsNext`). */
export const scriptedGraphErrorSchema = z.object({
  code: z.number().int().positive(),
  subcode: z.number().int().positive().optional(),
  message: z.string().min(1).optional(),
  /** HTTP status; by default what Graph uses for the code (see graphError). */
  status: z.number().int().min(400).max(599).optional(),
  /** Adds x-business-use-case-usage with this estimated_time_to_regain_access (minutes). */
  regainAccessMinutes: z.number().min(0).optional(),
});

/** The scripted error as Graph would send it; `accountId` keys the usage header. */
export function scriptedGraphError(input: unknown): (accountId: string) => GraphErrorSpec {
  const e = scriptedGraphErrorSchema.parse(input);
  return (accountId) => ({
    code: e.code,
    subcode: e.subcode,
    status: e.status,
    message: e.message ?? MESSAGES[e.code] ?? `(#${e.code}) An error the test asked for`,
    headers: e.regainAccessMinutes === undefined ? undefined : usageHeader(accountId, 100, e.regainAccessMinutes),
  });
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

/** A call without the appsecret_proof the app requires, or with a wrong one (code 100, as Graph's GraphMethodException). */
export const proofRefused = (message: string) => new GraphFailure({ code: 100, type: 'GraphMethodException', message });

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
