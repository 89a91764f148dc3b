import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { EmulatorResponse } from '../http-kit';

export interface AdApiError {
  Code: number;
  ErrorCode: string;
  Message: string;
}

export class MicrosoftFailure extends Error {
  constructor(readonly response: EmulatorResponse) {
    super('microsoft fault');
  }
}

/** Authentication and header problems: an AdApiFaultDetail. */
export function adApiFault(status: number, error: AdApiError): MicrosoftFailure {
  return new MicrosoftFailure({ status, body: { TrackingId: randomUUID(), Type: 'AdApiFaultDetail', Errors: [error] } });
}

/** Operation problems: an ApiFaultDetail with OperationErrors. */
export function apiFault(status: number, error: AdApiError): MicrosoftFailure {
  return new MicrosoftFailure({ status, body: { TrackingId: randomUUID(), Type: 'ApiFaultDetail', BatchErrors: [], OperationErrors: [error] } });
}

export const errors = {
  missingHeaders: (names: string[]) => adApiFault(400, { Code: 116, ErrorCode: 'RequestMissingHeaders', Message: `The request is missing required headers: ${names.join(', ')}.` }),
  invalidCredentials: () => adApiFault(401, { Code: 105, ErrorCode: 'InvalidCredentials', Message: 'Authentication failed. Either supplied credentials are invalid or the account is inactive.' }),
  tokenExpired: () => adApiFault(401, { Code: 109, ErrorCode: 'AuthenticationTokenExpired', Message: 'The OAuth access token has expired. Refresh the token and try again.' }),
  notAuthorized: () => adApiFault(401, { Code: 106, ErrorCode: 'UserIsNotAuthorized', Message: 'The user does not represent a authorized developer or is not authorized to access the customer or account.' }),
  callRate: () => apiFault(429, { Code: 117, ErrorCode: 'CallRateExceeded', Message: 'You have exceeded the number of calls that you can make in a minute. Please reduce the number of calls you make per minute.' }),
  internal: () => apiFault(500, { Code: 0, ErrorCode: 'InternalError', Message: 'An internal error has occurred.' }),
  invalidActionType: () => apiFault(400, { Code: 8001, ErrorCode: 'InvalidCustomerListActionType', Message: 'The customer list action type is invalid.' }),
  subTypeNotSupported: () => apiFault(400, { Code: 8002, ErrorCode: 'CustomerListItemSubTypeNotSupported', Message: 'The customer list item sub type is not supported.' }),
  termsNotAccepted: () => apiFault(400, { Code: 8003, ErrorCode: 'CustomerListTermsAndConditionsNotAccepted', Message: 'The Customer Match terms and conditions have not been accepted.' }),
  termsRefused: () => apiFault(400, { Code: 3913, ErrorCode: 'TermsAndConditionsNotAccepted', Message: 'The Customer Match terms were rejected in the request.' }),
  invalidList: () => apiFault(400, { Code: 8000, ErrorCode: 'InvalidCustomerListId', Message: 'The customer list identifier is invalid.' }),
  tooManyItems: (max: number) => apiFault(400, { Code: 8005, ErrorCode: 'CustomerListItemsArrayExceedsLimit', Message: `The list of customer list items exceeds the limit of ${max}.` }),
  invalidRequest: (message: string) => apiFault(400, { Code: 100, ErrorCode: 'InvalidRequest', Message: message }),
};

/** The Campaign Management operations a scripted answer can aim at. */
export const operations = ['AddAudiences', 'DeleteAudiences', 'GetAudiencesByIds', 'ApplyCustomerListUserData'] as const;
export type Operation = (typeof operations)[number];

/**
 * A scripted answer: `skip` calls of the operation (any when absent) go through, then the next
 * `times` are answered with `code` in the platform's own shape. 4853 (AddAudiences only) is a race:
 * another user makes a list of each requested name just before the call, which then meets
 * DuplicateAudienceName as it would at the platform.
 */
export const scriptedAnswerSchema = z
  .object({
    operation: z.enum(operations).optional(),
    code: z.union([z.literal(0), z.literal(105), z.literal(109), z.literal(117), z.literal(4853)]),
    skip: z.number().int().min(0).default(0),
    times: z.number().int().min(1).default(1),
  })
  .refine((s) => s.code !== 4853 || s.operation === 'AddAudiences', { message: '4853 is scripted on AddAudiences only', path: ['operation'] });
export type ScriptedAnswer = z.infer<typeof scriptedAnswerSchema>;

const byCode: Record<Exclude<ScriptedAnswer['code'], 4853>, () => MicrosoftFailure> = {
  0: errors.internal,
  105: errors.invalidCredentials,
  109: errors.tokenExpired,
  117: errors.callRate,
};

/** Answers scripted per operation, on top of the shared faults that hit every call alike. */
export class ScriptedAnswers {
  private scripts: ScriptedAnswer[] = [];

  add(input: unknown): ScriptedAnswer[] {
    this.scripts.push(...(Array.isArray(input) ? input : [input]).map((s) => scriptedAnswerSchema.parse(s)));
    return this.pending();
  }

  pending(): ScriptedAnswer[] {
    return this.scripts.map((s) => ({ ...s }));
  }

  clear(): void {
    this.scripts = [];
  }

  /**
   * This call's scripted code, if any; every script aimed at the operation counts the call. Throws
   * the fault itself for the codes the platform answers as one; returns 4853 for the caller to stage.
   */
  take(operation: Operation): 4853 | undefined {
    let chosen: ScriptedAnswer | undefined;
    for (const script of this.scripts.filter((s) => s.operation === undefined || s.operation === operation)) {
      if (script.skip > 0) script.skip -= 1;
      else if (!chosen) {
        chosen = script;
        script.times -= 1;
      }
    }
    this.scripts = this.scripts.filter((s) => s.times > 0);
    if (!chosen) return undefined;
    if (chosen.code === 4853) return 4853;
    throw byCode[chosen.code]();
  }
}
