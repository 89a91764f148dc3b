import { Controller, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
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
      "Start signing the connection in with its provider: returns { url, expiresAt }, a single-use link (OAUTH_TICKET_TTL_SECONDS) to open in the administrator's browser. It redirects to the provider's dialog; the sign-in must finish in that same browser.",
  })
  @Answers({ status: 201, description: 'The single-use sign-in link.', schema: 'SignInLink', example: examples.signInLink }, 403, 404)
  async authorize(@CurrentPrincipal() principal: Principal, @Param('id') id: string) {
    return this.flow.issueLink(id, principal);
  }
}
