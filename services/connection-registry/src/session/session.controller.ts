import { Body, Controller, Delete, Get, HttpCode, Post, Req, Res } from '@nestjs/common';
import { ApiBody, ApiCookieAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { z } from 'zod';
import { Public } from '../auth/principal';
import { openApiSchema, parseWith } from '../common/zod-body';
import { Answers } from '../openapi/responses';
import { examples } from '../openapi/examples';
import { SESSION } from '../openapi/document';
import { Sessions, SessionView } from './session.service';
import { clearedSessionCookie, sessionCookie } from './session-cookie';

const signInBody = z.object({ apiKey: z.string().min(1).max(1000).describe('an API key of REGISTRY_API_KEYS') });

const view = (session: SessionView) => ({ principal: session.principal, csrfToken: session.csrfToken, expiresAt: session.expiresAt.toISOString() });

/**
 * The admin console's sign-in. Public routes: the session cookie, not an API key, is what GET and
 * DELETE read (Sessions checks it, and the CSRF token for DELETE).
 */
@ApiTags('session')
@Controller('session')
export class SessionController {
  constructor(private readonly sessions: Sessions) {}

  @Post()
  @Public()
  @ApiOperation({
    summary:
      'Sign the console in with an API key: sets the HttpOnly session cookie (audience_sync_session, CONSOLE_SESSION_HOURS) and answers the principal and the CSRF token to send as X-CSRF-Token with every change.',
    security: [],
  })
  @ApiBody({ schema: openApiSchema(signInBody) })
  @Answers({ status: 201, description: 'Signed in; the cookie is set.', schema: 'ConsoleSession', example: examples.consoleSession }, 400)
  async signIn(@Body() body: unknown, @Res({ passthrough: true }) res: Response) {
    const { apiKey } = parseWith(signInBody, body);
    const { cookieValue, session } = await this.sessions.open(apiKey);
    res.setHeader('Set-Cookie', sessionCookie(cookieValue, this.sessions.lifetimeSeconds, this.sessions.secureCookie));
    res.setHeader('Cache-Control', 'no-store');
    return view(session.view);
  }

  @Get()
  @Public()
  @ApiCookieAuth(SESSION)
  @ApiOperation({ summary: "The console's session: its principal, CSRF token and expiry; 401 when signed out or expired." })
  @Answers({ status: 200, description: 'The current session.', schema: 'ConsoleSession', example: examples.consoleSession })
  async current(@Req() req: Request, @Res({ passthrough: true }) res: Response) {
    const { session } = await this.sessions.authenticate(req);
    res.setHeader('Cache-Control', 'no-store');
    return view(session.view);
  }

  @Delete()
  @Public()
  @HttpCode(204)
  @ApiCookieAuth(SESSION)
  @ApiOperation({ summary: 'Sign the console out: ends the session and clears its cookie. Needs the X-CSRF-Token header.' })
  @Answers({ status: 204, description: 'Signed out; the cookie is cleared.' }, 403)
  async signOut(@Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<void> {
    const { session } = await this.sessions.authenticate(req);
    await this.sessions.close(session);
    res.setHeader('Set-Cookie', clearedSessionCookie(this.sessions.secureCookie));
  }
}
