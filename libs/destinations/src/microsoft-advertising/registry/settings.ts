import { z } from 'zod';

const attribute = z.string().trim().min(1).max(200);

export const microsoftExportBody = z.object({
  customerId: z.string().regex(/^\d{1,19}$/, 'the customer id is the numeric cid from the Microsoft Advertising URL'),
  accountId: z.string().regex(/^\d{1,19}$/, 'the account id is the numeric aid from the Microsoft Advertising URL'),
  emailAttribute: attribute,
});

/** A Microsoft Advertising export, stored as accepted. */
export type MicrosoftExportSettings = z.infer<typeof microsoftExportBody>;
