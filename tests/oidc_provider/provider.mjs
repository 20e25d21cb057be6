// A real OpenID provider for the sign-on tests: panva's oidc-provider (OpenID certified),
// configured from the environment. Test use only: development interactions (any password),
// development signing keys, memory storage.
import Provider from 'oidc-provider';

const issuer = process.env.OIDC_ISSUER;
const port = Number(new URL(issuer).port);
const clients = JSON.parse(process.env.OIDC_CLIENTS); // [{client_id, client_secret, redirect_uris}]
const accounts = JSON.parse(process.env.OIDC_ACCOUNTS); // {login: {email, groups}}
// Clients listed here get ID tokens that expire after three seconds (the expiry test).
const shortLived = new Set((process.env.OIDC_SHORT_TTL_CLIENTS || '').split(',').filter(Boolean));

const provider = new Provider(issuer, {
  clients: clients.map((c) => ({ grant_types: ['authorization_code'], response_types: ['code'], ...c })),
  claims: { openid: ['sub'], email: ['email', 'email_verified'], groups: ['groups'] },
  scopes: ['openid', 'email', 'groups'],
  pkce: { required: () => true },
  ttl: { IdToken: (ctx, token, client) => (shortLived.has(client.clientId) ? 3 : 600), AccessToken: 600, AuthorizationCode: 60, Interaction: 600, Session: 3600, Grant: 3600 },
  // Introspection: how a mail server (Dovecot's oauth2 passdb) checks an access token it is given.
  features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true }, introspection: { enabled: true } },
  async findAccount(ctx, sub) {
    const account = accounts[sub];
    if (!account) return undefined;
    return {
      accountId: sub,
      async claims() {
        return { sub, email: account.email, email_verified: true, groups: account.groups || [] };
      },
    };
  },
  // First-party clients: the consent screen is skipped (the grant covers what was asked).
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope('openid email groups');
    grant.addOIDCClaims(['email', 'email_verified', 'groups']);
    await grant.save();
    return grant;
  },
});
provider.proxy = false;
provider.listen(port, '127.0.0.1', () => console.log(`oidc-provider listening on ${issuer}`));
