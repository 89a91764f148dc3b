import { randomUUID } from 'node:crypto';
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
  invalidList: () => apiFault(400, { Code: 8000, ErrorCode: 'InvalidCustomerListId', Message: 'The customer list identifier is invalid.' }),
  tooManyItems: (max: number) => apiFault(400, { Code: 8005, ErrorCode: 'CustomerListItemsArrayExceedsLimit', Message: `The list of customer list items exceeds the limit of ${max}.` }),
  invalidRequest: (message: string) => apiFault(400, { Code: 100, ErrorCode: 'InvalidRequest', Message: message }),
};
