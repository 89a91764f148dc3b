import { Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { CredentialCipher, SealedSecret } from '../crypto/credential-cipher';
import { WebhookDoc } from './webhook.models';

/** A webhook's signing secret: made once, stored sealed with the credential keys (so it rotates with them), opened only to sign. */
@Injectable()
export class WebhookSecrets {
  constructor(private readonly cipher: CredentialCipher) {}

  create(webhookId: string): { secret: string; sealed: SealedSecret } {
    const secret = `whsec_${randomBytes(32).toString('base64url')}`;
    return { secret, sealed: this.cipher.seal(secret, sealContext(webhookId)) };
  }

  open(webhook: Pick<WebhookDoc, '_id' | 'secret'>): string {
    return this.cipher.open<string>(webhook.secret, sealContext(webhook._id));
  }
}

/** Bound as associated data: a sealed secret copied onto another webhook does not open. */
const sealContext = (webhookId: string) => `webhook:${webhookId}`;
