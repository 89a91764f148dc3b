/** What the console reads of the API's answers (see the registry's OpenAPI document at /docs). */
export type Role = 'administrator' | 'contributor';
export type DestinationId = 'facebook-ads' | 'microsoft-advertising';

export interface Connection {
  id: string;
  displayName: string;
  destination: DestinationId;
  usableBy: 'administrators' | 'administrators-and-contributors';
  status: 'awaiting-authentication' | 'awaiting-audience' | 'ready' | 'needs-reauthentication' | 'terms-not-accepted';
  statusMessage: string;
  statusReason?: string;
  authenticated: boolean;
  authenticatedUntil?: string;
  facebook?: { adAccountId?: string; audienceId?: string; audienceName?: string };
  consent: { agreedBy: string; agreedAt: string };
  createdBy: string;
}

export interface Segment {
  id: string;
  name: string;
}

export interface Export {
  id: string;
  displayName: string;
  connectionId: string;
  segments: Segment[];
  facebook?: { keyIdentifier: string; mappings: Record<string, string>; defaultCountry?: string; audience: { adAccountId: string; audienceId: string; audienceName?: string } };
  microsoft?: { customerId: string; accountId: string; emailAttribute: string };
  audiences: { name?: string; audienceId?: string; adAccountId?: string; alsoFedBy?: string[] }[];
  state: 'active' | 'needs-attention';
  problem?: string;
  paused?: boolean;
  pausedBy?: string;
  pausedAt?: string;
  version: number;
  pipeline: { savedVersion: number; appliedVersion: number | null; state: 'active' | 'saved' };
}

export interface Counts {
  sent: number;
  removed: number;
  invalid: number;
  failed: number;
  invalidByReason?: Record<string, number>;
}

export interface Run {
  id: string;
  trigger: 'on-demand' | 'refresh' | 'erase' | 'dry-run';
  requestedBy?: string;
  state: 'pending' | 'running' | 'succeeded' | 'failed';
  counts: Counts;
  dryRun?: { wouldAdd: number; wouldRemove: number; wouldKeep: number; invalid: number; invalidByReason: Record<string, number> } | null;
  error?: string;
  audience?: { sizeLowerBound?: number; sizeUpperBound?: number; status?: string; detail?: string; checkedAt: string };
  createdAt: string;
  updatedAt: string;
}
