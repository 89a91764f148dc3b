import { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { serve } from '@audience-sync/runtime';
import { randomBytes } from 'node:crypto';
import { loadConfig } from '@audience-sync/config';
import { AppModule } from '../../services/connection-registry/src/app.module';
import { configSchema } from '../../services/connection-registry/src/config';
import { configureHttp } from '../../services/connection-registry/src/http/configure-http';
import { BrowserSignIn, signInLikeABrowser } from '../../tools/emulators/browser-sign-in';
import { Emulators } from '../../tools/emulators/main';
import { freePort } from '../../deploy/local/process';
import { testBrokers, testMongoUri } from './env';

export const keys = {
  admin: `admin-key-${randomBytes(12).toString('hex')}`,
  contributor: `contrib-key-${randomBytes(12).toString('hex')}`,
  /** Each sink's own credential for the internal API. */
  sinkFacebook: `sink-facebook-${randomBytes(16).toString('hex')}`,
  sinkMicrosoft: `sink-microsoft-ads-${randomBytes(16).toString('hex')}`,
};

/** An HTTP answer with its body parsed as JSON when it is JSON. */
export interface Answer {
  status: number;
  body: any;
  headers: Headers;
}

export interface Registry {
  app: INestApplication;
  url: string;
  mongoUri: string;
  env: Record<string, string>;
  as(role: 'admin' | 'contributor' | 'none'): (method: string, path: string, body?: unknown) => Promise<Answer>;
  close(): Promise<void>;
}

/** A request as a client sends it: an optional API key, any headers, a JSON or a raw body; redirects are not followed. */
export async function request(url: string, method: string, options: { key?: string; headers?: Record<string, string>; body?: unknown; raw?: Buffer | string } = {}): Promise<Answer> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.key) headers.authorization = `Bearer ${options.key}`;
  const body = options.body !== undefined ? JSON.stringify(options.body) : options.raw;
  if (body !== undefined) headers['content-type'] ??= 'application/json';
  const response = await fetch(url, { method, headers, body, redirect: 'manual' });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    /* not JSON */
  }
  return { status: response.status, body: parsed, headers: response.headers };
}

/** The registry in-process against the shared broker and database and the given emulators; `settings` add to or replace its environment. */
export async function startRegistry(emulators: Emulators, settings: Record<string, string> = {}): Promise<Registry> {
  const port = await freePort();
  const mongoUri = testMongoUri('registry');
  const env: Record<string, string> = {
    KAFKA_BROKERS: testBrokers().join(','),
    MONGODB_URI: mongoUri,
    REGISTRY_PORT: String(port),
    LOG_LEVEL: 'warn',
    REGISTRY_API_KEYS: `alice:administrator:${keys.admin},carol:contributor:${keys.contributor}`,
    INTERNAL_TOKEN_SINK_FACEBOOK: keys.sinkFacebook,
    INTERNAL_TOKEN_SINK_MICROSOFT_ADS: keys.sinkMicrosoft,
    CREDENTIALS_ENCRYPTION_KEYS: `test1:${randomBytes(32).toString('base64')}`,
    REGISTRY_PUBLIC_URL: `http://127.0.0.1:${port}`,
    FACEBOOK_GRAPH_BASE_URL: `${emulators.facebook.url}/v27.0`,
    FACEBOOK_DIALOG_BASE_URL: `${emulators.facebook.url}/v27.0/dialog/oauth`,
    MICROSOFT_OAUTH_BASE_URL: `${emulators.microsoft.url}/common/oauth2/v2.0`,
    ...settings,
  };
  const app = await boot(env, port);
  const url = `http://127.0.0.1:${port}`;
  const bearer = { admin: keys.admin, contributor: keys.contributor, none: undefined };
  return {
    app,
    url,
    mongoUri,
    env,
    as: (role) => (method, path, body) => request(`${url}${path}`, method, { key: bearer[role], body }),
    close: () => app.close(),
  };
}

/** Signs the connection in like an administrator's browser, ending on the callback page. */
export async function completeOAuth(registry: Pick<Registry, 'url'>, connectionId: string): Promise<BrowserSignIn> {
  return signInLikeABrowser(registry.url, keys.admin, connectionId);
}

export interface OtherRegistry {
  url: string;
  close(): Promise<void>;
}

/**
 * Another registry in-process with the settings of one the harness started, some changed (keys
 * after a rotation, the database behind a proxy), on a port of its own.
 */
export async function startRegistryLike(base: Registry, changes: Record<string, string>): Promise<OtherRegistry> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const app = await boot({ ...base.env, REGISTRY_PORT: String(port), REGISTRY_PUBLIC_URL: url, ...changes }, port);
  return { url, close: () => app.close() };
}

async function boot(env: Record<string, string>, port: number): Promise<INestApplication> {
  const config = loadConfig('connection-registry', configSchema, env);
  const app = await NestFactory.create(AppModule.forRoot(config), { logger: ['error', 'warn'] });
  app.enableShutdownHooks();
  configureHttp(app);
  await serve(app, port, '127.0.0.1');
  return app;
}
