import type { PageContext } from '../context.js';
import type { Connection, DestinationId, Export } from '../views.js';

/** The export form's part that only a destination knows: its fields, and the body block they make. */
export interface SettingsForm {
  element: HTMLElement;
  /** The export body's block for this destination, e.g. { facebook: {...} }. */
  body(): Record<string, unknown>;
}

/**
 * What the console knows of one destination, in one place: how it is named, what its consent
 * covers, what a connection needs after sign-in, and an export's settings.
 */
export interface ConsoleDestination {
  id: DestinationId;
  label: string;
  provider: string;
  /** What an administrator agrees to when creating a connection. */
  consent: string;
  /** After sign-in, what the connection still needs (Facebook: an ad account and audience); null when nothing. */
  setup(connection: Connection, ctx: PageContext, changed: () => void): Promise<HTMLElement | null>;
  settingsForm(connection: Connection, existing: Export | undefined, ctx: PageContext): Promise<SettingsForm>;
  /** The export's settings as label/value lines. */
  summary(exp: Export): [string, string][];
}
