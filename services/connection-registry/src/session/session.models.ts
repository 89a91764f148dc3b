import { Schema } from 'mongoose';
import type { Role } from '../auth/principal';

export const SESSION_MODEL = 'ConsoleSession';

/** A signed-in console: found by the cookie's hash; tied to its API key by the key's hash. */
export interface SessionDoc {
  /** sha256 (hex) of the cookie value. */
  _id: string;
  /** sha256 (hex) of the API key signed in with. */
  keyDigest: string;
  /** The key's name and role at sign-in; each request uses the configured key's current ones. */
  name: string;
  role: Role;
  csrfToken: string;
  createdAt: Date;
  expiresAt: Date;
}

export const sessionSchema = new Schema<SessionDoc>(
  {
    _id: String,
    keyDigest: { type: String, required: true },
    name: { type: String, required: true },
    role: { type: String, required: true },
    csrfToken: { type: String, required: true },
    createdAt: { type: Date, required: true },
    // Not a TTL index: FerretDB (1.24) answers "expireAfterSeconds is not implemented yet". An
    // expired session is read as absent, and sign-ins sweep expired ones.
    expiresAt: { type: Date, required: true, index: true },
  },
  { collection: 'consolesessions', versionKey: false },
);
