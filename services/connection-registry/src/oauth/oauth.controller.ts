import { Controller, Get, Logger, Query, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { z } from 'zod';
import { CredentialsRejected, ProviderError, registryPartsOf } from '@audience-sync/destinations';
import { Public } from '../auth/principal';
import { ConnectionDoc } from '../models';
import { OAuthFlow, SignInRefused } from './oauth-flow.service';
import { SignInPage, sendSignInPage } from './sign-in-page';

const startQuery = z.object({ ticket: z.string().regex(/^[\w-]{43}$/) });
const callbackQuery = z.object({ state: z.string().min(1).max(200), code: z.string().min(1).max(4000).optional(), error: z.string().max(200).optional() });

/**
 * The browser's side of signing in: no API key here (a browser link cannot send one); the
 * single-use ticket and the state bound to the browser's cookie are the credentials. Both end on a
 * page a person can read.
 */
@ApiTags('oauth')
@Controller('oauth')
export class OAuthController {
  private readonly logger = new Logger(OAuthController.name);

  constructor(private readonly flow: OAuthFlow) {}

  @Get('start')
  @Public()
  @ApiOperation({ summary: 'Opened in the browser from the link POST /connections/{id}/authorize returns: sets the sign-in cookie and redirects (302) to the provider.', security: [] })
  @ApiQuery({ name: 'ticket', required: true, schema: { type: 'string', pattern: '^[\\w-]{43}$' }, description: 'the single-use ticket of the link' })
  @ApiResponse({ status: 302, description: "To the provider's sign-in dialog.", headers: { Location: { description: "the provider's dialog", schema: { type: 'string', format: 'uri' } } } })
  @ApiResponse({ status: 400, description: 'Not a sign-in link, or one used or expired: a page says what to do.', content: { 'text/html': { schema: { type: 'string' } } } })
  async start(@Query() query: unknown, @Req() req: Request, @Res() res: Response) {
    const parsed = startQuery.safeParse(query);
    if (!parsed.success) return sendSignInPage(res, 400, failed(new SignInRefused('This is not a sign-in link.', 'Ask for a new one with POST /connections/{id}/authorize.')));
    const { nonce } = this.flow.binding.nonceOf(req);
    try {
      const dialog = await this.flow.start(parsed.data.ticket, nonce);
      res.setHeader('Set-Cookie', this.flow.binding.setCookie(nonce));
      res.setHeader('Cache-Control', 'no-store');
      res.setHeader('Referrer-Policy', 'no-referrer');
      res.redirect(302, dialog);
    } catch (error) {
      sendSignInPage(res, 400, this.failure(error));
    }
  }

  @Get('callback')
  @Public()
  @ApiOperation({ summary: 'OAuth redirect target: exchanges the code (with the PKCE verifier), stores the credentials encrypted, and shows the outcome as a page.', security: [] })
  @ApiQuery({ name: 'state', required: true, schema: { type: 'string', minLength: 1, maxLength: 200 }, description: 'the state the sign-in sent the provider, bound to this browser' })
  @ApiQuery({ name: 'code', required: false, schema: { type: 'string', minLength: 1, maxLength: 4000 }, description: "the provider's authorization code, on a granted sign-in" })
  @ApiQuery({ name: 'error', required: false, schema: { type: 'string', maxLength: 200 }, description: "the provider's error code, on a refused one" })
  @ApiResponse({
    status: 200,
    description: 'Signed in: a page says what to do next.',
    content: { 'text/html': { schema: { type: 'string' }, example: '<!doctype html><html><head><title>Signed in</title></head><body><h1>Signed in</h1><p>You can close this page.</p></body></html>' } },
  })
  @ApiResponse({
    status: 303,
    description: 'Signed in, for a sign-in link asked for with a returnTo: back to that path (the admin console).',
    headers: { Location: { description: 'the returnTo of POST /connections/{id}/authorize', schema: { type: 'string' } } },
  })
  @ApiResponse({ status: 400, description: 'Refused (not an answer from a provider, another browser, a refused sign-in): a page says what to do.', content: { 'text/html': { schema: { type: 'string' } } } })
  @ApiResponse({ status: 502, description: 'The provider failed: a page says what to do.', content: { 'text/html': { schema: { type: 'string' } } } })
  async callback(@Query() query: unknown, @Req() req: Request, @Res() res: Response) {
    const parsed = callbackQuery.safeParse(query);
    if (!parsed.success) return sendSignInPage(res, 400, failed(new SignInRefused('This address is not a sign-in answer from a provider.', 'Start again with POST /connections/{id}/authorize.')));
    let returnTo: string | undefined;
    try {
      const pending = await this.flow.claim(parsed.data.state);
      returnTo = pending.returnTo;
      const connection = await this.flow.complete(pending, parsed.data, this.flow.binding.sent(req));
      if (!returnTo) return sendSignInPage(res, 200, signedIn(connection));
      // Back to the console, which shows the connection's new status; the address had a code and state in it.
      res.set({ 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer' }).redirect(303, returnTo);
    } catch (error) {
      const page = this.failure(error);
      sendSignInPage(res, error instanceof SignInRefused || error instanceof CredentialsRejected ? 400 : 502, returnTo ? { ...page, link: { text: 'Back to the console', href: returnTo } } : page);
    }
  }

  private failure(error: unknown): SignInPage {
    if (error instanceof SignInRefused) return failed(error);
    // Messages of our own making (the provider's error code at most), never a token.
    if (error instanceof CredentialsRejected) return failed(new SignInRefused(`The provider refused the sign-in: ${error.problem}.`, 'Start again with POST /connections/{id}/authorize.'));
    if (error instanceof ProviderError) return failed(new SignInRefused(error.message, 'Try again in a few minutes with a new link from POST /connections/{id}/authorize.'));
    this.logger.error(`a sign-in failed: ${(error as Error).message}`);
    return failed(new SignInRefused('The sign-in failed inside audience-sync.', 'Try again with a new link from POST /connections/{id}/authorize; if it fails again, the registry log says why.'));
  }
}

const failed = (refused: SignInRefused): SignInPage => ({ ok: false, title: 'Sign-in failed', lines: [refused.message, refused.next] });

function signedIn(connection: ConnectionDoc): SignInPage {
  const parts = registryPartsOf(connection.destination);
  return {
    ok: true,
    title: 'Signed in',
    lines: [`The ${parts.label} connection "${connection.displayName}" (${connection._id}) is signed in; its credentials are stored encrypted.`, `Next: ${parts.nextAfterSignIn(connection._id)}`, 'You can close this page.'],
  };
}
