import { Inject, Injectable } from '@nestjs/common';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { APP_CONFIG } from '@audience-sync/config';
import { RegistryConfig } from '../config';

/** What is stored: never the plain secret. */
export interface SealedSecret {
  keyId: string;
  iv: string;
  tag: string;
  data: string;
}

/**
 * AES-256-GCM with the key id stored beside the ciphertext, so keys rotate: the first configured
 * key seals, every configured key opens, and a secret moves to the new key at its next write. The connection id is bound as associated data, so a
 * sealed secret copied onto another connection does not open.
 */
@Injectable()
export class CredentialCipher {
  private readonly keys: Map<string, Buffer>;
  private readonly activeId: string;

  constructor(@Inject(APP_CONFIG) config: Pick<RegistryConfig, 'CREDENTIALS_ENCRYPTION_KEYS'>) {
    this.keys = new Map(config.CREDENTIALS_ENCRYPTION_KEYS.map((k) => [k.id, k.key]));
    this.activeId = config.CREDENTIALS_ENCRYPTION_KEYS[0].id;
  }

  seal(value: unknown, context: string): SealedSecret {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.keys.get(this.activeId)!, iv);
    cipher.setAAD(Buffer.from(context));
    const data = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
    return { keyId: this.activeId, iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64'), data: data.toString('base64') };
  }

  open<T>(sealed: SealedSecret, context: string): T {
    const key = this.keys.get(sealed.keyId);
    if (!key) throw new Error(`credentials were sealed with key ${sealed.keyId}, which is no longer configured in CREDENTIALS_ENCRYPTION_KEYS`);
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(sealed.iv, 'base64'));
    decipher.setAAD(Buffer.from(context));
    decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
    return JSON.parse(Buffer.concat([decipher.update(Buffer.from(sealed.data, 'base64')), decipher.final()]).toString('utf8')) as T;
  }
}
