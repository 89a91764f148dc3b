import { Body, Controller, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { openApiSchema, parseWith } from '../common/zod-body';
import { authorizeBody } from './return-to';
import { CurrentPrincipal, Principal, Roles } from '../auth/principal';
import { OAuthFlow } from './oauth-flow.service';
import { Answers } from '../openapi/responses';
import { examples } from '../openapi/examples';

@ApiTags('oauth')
@ApiBearerAuth()
@Controller('connections')
export class AuthorizeController {
  constructor(private readonly flow: OAuthFlow) {}

  @Post(':id/authorize')
  @Roles('administrator')
  @ApiOperation({
    summary:
      "Start signing the connection in with its provider: returns { url, expiresAt }, a single-use link (OAUTH_TICKET_TTL_SECONDS) to open in the administrator's browser. It redirects to the provider's dialog; the sign-in must finish in that same browser. With a returnTo (a path on this registry, such as the admin console's), a successful sign-in redirects (303) there, and a failed one links back to it.",
  })
  @ApiBody({ schema: openApiSchema(authorizeBody), required: false })
  @Answers({ status: 201, description: 'The single-use sign-in link.', schema: 'SignInLink', example: examples.signInLink }, 400, 403, 404)
  async authorize(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Body() body: unknown) {
    const { returnTo } = parseWith(authorizeBody, body);
    return this.flow.issueLink(id, principal, returnTo);
  }
}
