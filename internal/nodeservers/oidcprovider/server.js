// panva/oidc-provider 9, the OpenID-certified provider, configured as a
// provider for a command-line tool is: a public native client (no secret,
// token_endpoint_auth_method none, loopback redirect on any port), PKCE,
// offline_access that needs consent, rotating refresh tokens (a reused one
// revokes the grant), the RFC 9207 iss parameter. Its development login
// and consent pages stand in for the user. It prints "listening PORT" once
// ready; GET /_stats counts what the token endpoint did.
'use strict';
const http = require('node:http');

const stats = { tokenRequests: 0, grantErrors: [], refreshes: 0, revokedGrants: 0 };

(async () => {
  const { default: Provider } = await import('oidc-provider');
  const server = http.createServer();
  await new Promise((resolve) => server.listen(Number(process.env.PORT || 0), '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${server.address().port}`;

  const provider = new Provider(issuer, {
    clients: [{
      client_id: 'native-cli',
      application_type: 'native',
      token_endpoint_auth_method: 'none',
      redirect_uris: ['http://127.0.0.1/callback'],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
    }],
    pkce: { required: () => true },
    scopes: ['openid', 'offline_access', 'email'],
    claims: { openid: ['sub'], email: ['email'] },
    findAccount: (ctx, id) => ({ accountId: id, claims: () => ({ sub: id, email: `${id}@example.com` }) }),
    rotateRefreshToken: true,
    features: { devInteractions: { enabled: true } },
    ttl: { AccessToken: 3600, RefreshToken: 86400, Grant: 86400, Session: 86400, Interaction: 3600 },
  });
  provider.on('grant.success', (ctx) => {
    if (ctx.oidc.params.grant_type === 'refresh_token') stats.refreshes++;
  });
  provider.on('grant.error', (ctx, err) => stats.grantErrors.push(err.error || String(err)));
  provider.on('grant.revoked', () => { stats.revokedGrants++; });
  provider.on('server_error', (ctx, err) => console.error('server_error', err));

  const callback = provider.callback();
  server.on('request', (req, res) => {
    if (req.url === '/_stats') {
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify(stats));
      return;
    }
    if (req.url === '/token' && req.method === 'POST') stats.tokenRequests++;
    callback(req, res);
  });
  console.log(`listening ${server.address().port}`);
})().catch((err) => { console.error(err); process.exit(1); });
