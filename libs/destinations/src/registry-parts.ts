import { z } from 'zod';
import type { ExportConfig, PipelineStage } from '@audience-sync/contracts';
import type { DestinationId } from './destination';
import { destinations } from './destinations';

/** A problem with one field of a request, its path relative to the block it was found in. */
export interface FieldProblem {
  path: string;
  message: string;
}

/** What signing in or refreshing yields. */
export interface Grant {
  accessToken: string;
  expiresAt: Date;
  /** Present when access tokens are short-lived: this is what the registry stores, and each refresh replaces it. */
  refreshToken?: string;
}

export interface AccountSummary {
  id: string;
  accountId: string;
  name: string;
}

export interface AudienceListing {
  id: string;
  name: string;
  subtype: string;
  /** Whether an export can feed it; `reason` says why not. */
  selectable: boolean;
  reason?: string;
}

/** An existing audience in an ad account, or a new one to create there. */
export type AudienceChoice = { adAccountId: string; audienceId: string } | { adAccountId: string; create: { name: string; description: string } };

/** An audience an export feeds, as stored. */
export interface ChosenAudience {
  adAccountId: string;
  audienceId: string;
  audienceName: string;
}

/** For destinations whose exports feed an audience the admin picks (or creates) in an ad account. */
export interface AudienceDirectory {
  accounts(accessToken: string): Promise<AccountSummary[]>;
  audiences(accessToken: string, adAccountId: string): Promise<AudienceListing[]>;
  /** Checks an existing audience (throws ChoiceRefused for one exports cannot feed) or creates a new one. */
  resolve(accessToken: string, choice: AudienceChoice): Promise<ChosenAudience>;
}

/** How the provider's sign-in dialog is opened: `codeChallenge` is the PKCE S256 challenge (RFC 7636) of the verifier the registry keeps. */
export interface AuthorizeRequest {
  state: string;
  redirectUri: string;
  codeChallenge: string;
}

/** The provider calls the registry makes for a connection. Failures throw ProviderError or CredentialsRejected. */
export interface RegistryClient {
  authorizeUrl(request: AuthorizeRequest): string;
  /** `codeVerifier` answers the challenge the dialog was opened with. */
  exchangeCode(code: string, redirectUri: string, codeVerifier: string): Promise<Grant>;
  /** Present when access tokens are short-lived; the returned refresh token replaces the stored one. */
  refresh?(refreshToken: string): Promise<Grant>;
  directory?: AudienceDirectory;
}

/** The types one destination's parts work on. */
export interface PartTypes {
  /** An export's settings as stored. */
  settings: object;
  /** An export's settings as the API accepts them. */
  body: object;
  /** The registry configuration its client reads. */
  config: object;
  /** What the destination stores on a connection (Facebook: the default audience). */
  connectionSettings: unknown;
}

/** Everything the connection registry needs to know about one destination. */
export interface RegistryParts<T extends PartTypes = PartTypes> {
  id: DestinationId;
  /** How messages name it: "this is a Facebook connection". */
  label: string;
  /** The block of an export (and of a connection) that holds its settings, e.g. `facebook`. */
  settingsKey: string;
  /** The most profiles one export may hold: the product's documented limit. */
  maxProfiles: number;
  /** The pipeline stage that delivers its exports and reports their runs. */
  sinkStage: PipelineStage;
  /** The registry's environment variables for this destination (zod shape). */
  config: z.ZodRawShape;
  client(config: T['config']): RegistryClient;
  /** What the admin does after signing in. */
  nextAfterSignIn(connectionId: string): string;
  /** What the admin must still choose on a signed-in connection before exports run, if anything. */
  awaitingSetup?(connectionId: string, connectionSettings: T['connectionSettings']): string | undefined;
  /** The export settings block as create and patch accept it. */
  exportSettings: z.ZodType<T['body']>;
  /** The fields a block must have, for the message when it is missing: "{ customerId, accountId, emailAttribute }". */
  exportSettingsHint: string;
  /** Problems of a block beyond its schema; `current` is what the export stores now, on a change. */
  checkExport(body: T['body'], connection: { id: string; settings: T['connectionSettings'] }, current: T['settings'] | undefined): FieldProblem[];
  /** The `destination` part of the ExportConfig the pipeline receives. */
  toDestination(settings: T['settings'], connection: { consentAgreedAt?: Date }): ExportConfig['destination'];
  /** The audiences an export feeds, as the API shows them. */
  audiences(settings: T['settings'], segments: { id: string; name: string }[], alsoFedBy: string[]): object[];
  /** Equal for two versions of an export exactly when they feed the same audience(s). */
  audienceKey(settings: T['settings']): string;
  /** Equal for two versions exactly when they select the same identifiers of a member. */
  identifiersKey(settings: T['settings']): unknown;
}

type Registry = { [D in DestinationId]: (typeof destinations)[D]['registry'] };

/** Each destination's registry parts (from `destinations`), by id. */
export const registryParts = Object.fromEntries(Object.values(destinations).map((d) => [d.id, d.registry])) as Registry;

/** The parts of a destination, for code that works on any of them. */
export function registryPartsOf(destination: DestinationId): RegistryParts {
  return registryParts[destination];
}

export const allRegistryParts: readonly RegistryParts[] = Object.values(registryParts);

/** The registry's environment for every destination's client. */
export const registryDestinationConfig = { ...destinations['facebook-ads'].registry.config, ...destinations['microsoft-advertising'].registry.config };

/** Each destination's stored export settings under its block key: `{ facebook?: …, microsoft?: … }`. */
export type ExportSettingsBlocks = { [D in DestinationId as Registry[D]['settingsKey']]?: Parameters<Registry[D]['toDestination']>[0] | null };

/** Each destination's export settings schema under its block key, optional, for the export DTOs. */
export type ExportBodyBlocks = { [D in DestinationId as Registry[D]['settingsKey']]: z.ZodOptional<Registry[D]['exportSettings']> };

export function exportBodyBlocks(): ExportBodyBlocks {
  return Object.fromEntries(allRegistryParts.map((p) => [p.settingsKey, p.exportSettings.optional()])) as ExportBodyBlocks;
}
