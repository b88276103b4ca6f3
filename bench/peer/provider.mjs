// The peer of `make bench`: node oidc-provider 9 (one process, in memory), configured for the
// same scenarios as ours: client credentials and the code flow's confidential client, RS256 JWT
// access tokens (RFC 9068, through resource indicators), PKCE S256 required, refresh tokens
// rotated on every use. bench/run.py installs the package under a temporary folder, copies this
// file beside it and runs it there; nothing of it lands in the repository.
//
// GET /bench/codes?count=N&path=FILE writes N authorization codes, one a line, as the
// authorization endpoint would have issued them (a grant of openid and the API scope, the PKCE
// challenge, the redirect URI), each of a grant of its own.
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';

import Provider from 'oidc-provider';

const {
  PEER_PORT, PEER_ISSUER, SERVICE_CLIENT, SERVICE_SECRET, WEB_CLIENT, WEB_SECRET, REDIRECT_URI,
  CODE_CHALLENGE, CODE_SCOPE,
} = process.env;
const RESOURCE = 'urn:bench:api';
const ACCOUNT = 'bench-user';

// The default memory adapter keeps at most 1,000 entries: too few for a run's codes.
const store = new Map();
const grants = new Map();

class MapAdapter {
  constructor(name) { this.name = name; }

  key(id) { return `${this.name}:${id}`; }

  async upsert(id, payload) {
    const key = this.key(id);
    store.set(key, payload);
    if (payload.grantId) {
      if (!grants.has(payload.grantId)) grants.set(payload.grantId, new Set());
      grants.get(payload.grantId).add(key);
    }
  }

  async find(id) { return store.get(this.key(id)); }

  async findByUid(uid) {
    for (const [key, payload] of store) {
      if (key.startsWith(`${this.name}:`) && payload.uid === uid) return payload;
    }
    return undefined;
  }

  async findByUserCode() { return undefined; }

  async consume(id) {
    const payload = store.get(this.key(id));
    if (payload) payload.consumed = Math.floor(Date.now() / 1000);
  }

  async destroy(id) { store.delete(this.key(id)); }

  async revokeByGrantId(grantId) {
    for (const key of grants.get(grantId) ?? []) store.delete(key);
    grants.delete(grantId);
  }
}

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = { ...privateKey.export({ format: 'jwk' }), alg: 'RS256', use: 'sig', kid: 'bench' };

const provider = new Provider(PEER_ISSUER, {
  adapter: MapAdapter,
  clients: [
    {
      client_id: SERVICE_CLIENT,
      client_secret: SERVICE_SECRET,
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_basic',
    },
    {
      client_id: WEB_CLIENT,
      client_secret: WEB_SECRET,
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      redirect_uris: [REDIRECT_URI],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  jwks: { keys: [jwk] },
  cookies: { keys: ['bench-only-cookie-key'] },
  findAccount: async (ctx, sub) => ({
    accountId: sub,
    claims: async () => ({ sub, preferred_username: sub }),
  }),
  scopes: ['openid', 'offline_access', 'profile', 'email', 'roles', 'api'],
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => RESOURCE,
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({
        scope: 'api',
        audience: RESOURCE,
        accessTokenFormat: 'jwt',
        accessTokenTTL: 300,
        jwt: { sign: { alg: 'RS256' } },
      }),
    },
  },
  pkce: { required: () => true },
  rotateRefreshToken: true,
  issueRefreshToken: async (ctx, client) => client.grantTypeAllowed('refresh_token'),
  ttl: {
    AccessToken: 300,
    AuthorizationCode: 7200,
    ClientCredentials: 300,
    Grant: 86400,
    IdToken: 300,
    RefreshToken: 86400,
    Session: 86400,
    Interaction: 3600,
  },
});

async function mintCodes(count) {
  const client = await provider.Client.find(WEB_CLIENT);
  const codes = [];
  for (let index = 0; index < count; index += 1) {
    const grant = new provider.Grant({ accountId: ACCOUNT, clientId: WEB_CLIENT });
    grant.addOIDCScope(CODE_SCOPE);
    grant.addResourceScope(RESOURCE, 'api');
    const grantId = await grant.save();
    const code = new provider.AuthorizationCode({
      accountId: ACCOUNT,
      client,
      grantId,
      scope: `${CODE_SCOPE} api`,
      resource: RESOURCE,
      redirectUri: REDIRECT_URI,
      codeChallenge: CODE_CHALLENGE,
      codeChallengeMethod: 'S256',
      authTime: Math.floor(Date.now() / 1000),
    });
    codes.push(await code.save());
  }
  return codes;
}

const app = provider.callback();
createServer(async (req, res) => {
  if (req.url.startsWith('/bench/codes?')) {
    const query = new URL(req.url, PEER_ISSUER).searchParams;
    const codes = await mintCodes(Number(query.get('count')));
    writeFileSync(query.get('path'), `${codes.join('\n')}\n`);
    res.end('ok');
    return;
  }
  app(req, res);
}).listen(Number(PEER_PORT), '127.0.0.1');
