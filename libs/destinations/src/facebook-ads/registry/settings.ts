import { z } from 'zod';
import { facebookKeyIdentifierSchema, facebookKeySchema, FacebookKey, FacebookKeyIdentifier } from '@audience-sync/contracts';
import { countryCode } from '@audience-sync/identifiers';
import type { ChosenAudience } from '../../registry-parts';

const adAccountId = z.string().regex(/^(act_)?\d+$/, 'an ad account id such as act_1001');
const attribute = z.string().trim().min(1).max(200);
/** A current ISO 3166-1 alpha-2 code; names and alpha-3 codes are refused so the stored setting is one spelling. */
const country = z
  .string()
  .regex(/^[A-Za-z]{2}$/, 'an ISO 3166-1 alpha-2 country code such as NO')
  .refine((code) => countryCode(code) === code.toLowerCase(), 'not a current ISO 3166-1 alpha-2 country code; use one such as NO, SE or US');
const newAudience = z.object({ name: z.string().trim().min(1).max(200), description: z.string().max(1000).default('') });

/** The ad account query of GET /connections/{id}/facebook/audiences. */
export const facebookAdAccountQuery = z.object({ adAccountId: z.string().regex(/^(act_)?\d+$/) });

/** An existing customer-list audience, or a new one to create in the ad account. */
export const facebookAudienceChoice = z.union([z.object({ adAccountId, audienceId: z.string().regex(/^\d+$/) }).strict(), z.object({ adAccountId, create: newAudience }).strict()]);

/**
 * Which exports follow a new connection audience: all that fed the old one, none, or the listed
 * ones. Required as soon as an export feeds the connection's audience, so moving is never a surprise.
 */
const moveExports = z.union([z.enum(['all', 'none']), z.array(z.string().min(1)).max(100)]).optional();

/** The body of PUT /connections/{id}/facebook/audience: the connection's default audience. */
export const facebookChooseAudienceBody = z.union([
  z.object({ adAccountId, audienceId: z.string().regex(/^\d+$/), moveExports }).strict(),
  z.object({ adAccountId, create: newAudience, moveExports }).strict(),
]);

export const facebookExportBody = z.object({
  /** Email, Name and address, or Phone, as the product calls them. */
  keyIdentifier: facebookKeyIdentifierSchema,
  /** Facebook key → the profile attribute that holds it. DOB is split into DOBY/DOBM/DOBD. */
  mappings: z.partialRecord(facebookKeySchema, attribute),
  /**
   * The country of a phone number written without its country code (Meta matches only full
   * international numbers), when the profile's COUNTRY (if mapped) does not say. Without it such
   * numbers are dropped and counted as `phone-no-country-code`.
   */
  defaultCountry: country.optional(),
  /** The audience this export feeds; the connection's chosen audience when left out. */
  audience: facebookAudienceChoice.optional(),
});
export type FacebookExportBody = z.infer<typeof facebookExportBody>;

/** A Facebook export as stored: `audience` is the customer list it feeds. */
export interface FacebookExportSettings {
  keyIdentifier: FacebookKeyIdentifier;
  mappings: Partial<Record<FacebookKey, string>>;
  defaultCountry?: string;
  audience: ChosenAudience;
}

/** Keys each key identifier needs mapped. */
export const REQUIRED_KEYS = {
  email: ['EMAIL'],
  phone: ['PHONE'],
  'name-and-address': ['FN', 'LN', 'ZIP'],
} as const satisfies Record<FacebookKeyIdentifier, readonly FacebookKey[]>;
