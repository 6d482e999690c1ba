// Peer server for bench/scale_workers.py: panva's oidc-provider in N worker processes
// (Node's cluster module: the primary accepts connections and hands them to the workers
// round-robin, the default scheduling on Linux), sharing one Redis for grants and refresh tokens.
//
// Two static clients, doing the same work as Identra in that bench:
//   CLIENT_ID     client_credentials -> RFC 9068 JWT access token (as server.mjs)
//   RT_CLIENT_ID  refresh_token with rotation on every use -> JWT access token + ID token +
//                 a new refresh token; reuse of a rotated token revokes the grant.
// The refresh tokens to start from are minted by `POST /bench/seed` (header x-bench-seed:
// SEED_SECRET), standing in for the interactive logins the bench does not measure.
//
// Environment:
//   PORT, ALG (RS256|ES256), CLIENT_ID, CLIENT_SECRET, SCOPE   as for server.mjs
//   WORKERS        worker processes (default 1)
//   REDIS_URL      redis://host:port/db (required)
//   REDIS_PREFIX   key prefix (default "oidcbench:")
//   RT_CLIENT_ID, RT_CLIENT_SECRET, SEED_SECRET
//
// The primary generates the signing key and cookie key once and hands them to the workers, so
// every worker signs with the same key, as Identra's workers share one keyring.

import cluster from 'node:cluster';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';

import Provider from 'oidc-provider';

import { Redis, redisAdapter } from './redis-adapter.mjs';

const HOST = '127.0.0.1';
const PORT = Number.parseInt(process.env.PORT ?? '', 10);
const ALG = process.env.ALG ?? 'RS256';
const WORKERS = Number.parseInt(process.env.WORKERS ?? '1', 10);
const SCOPE = process.env.SCOPE ?? 'bench';
const RESOURCE = 'urn:identra:bench:api';
const REDIRECT = 'https://rp.example.com/cb';
const ACCOUNT = 'bench-user';

if (!Number.isInteger(PORT) || PORT <= 0 || PORT > 65535 || !process.env.REDIS_URL) {
  console.error('cluster.mjs: set PORT and REDIS_URL');
  process.exit(2);
}

function signingJwk(alg) {
  const pair = alg === 'ES256'
    ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
    : generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    ...pair.privateKey.export({ format: 'jwk' }), kid: `bench-${alg.toLowerCase()}`, alg, use: 'sig',
  };
}

if (cluster.isPrimary) {
  if (ALG !== 'RS256' && ALG !== 'ES256') {
    console.error(`cluster.mjs: unsupported ALG ${ALG}`);
    process.exit(2);
  }
  const shared = {
    BENCH_JWK: JSON.stringify(signingJwk(ALG)),
    BENCH_COOKIE_KEY: randomBytes(32).toString('base64url'),
  };
  let stopping = false;
  for (let i = 0; i < WORKERS; i += 1) cluster.fork(shared);
  cluster.on('exit', (worker, code) => {
    if (!stopping) console.error(`worker ${worker.process.pid} exited with ${code}`);
    if (Object.keys(cluster.workers).length === 0) process.exit(0);
  });
  const stop = () => {
    stopping = true;
    for (const worker of Object.values(cluster.workers)) worker.kill('SIGTERM');
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  console.log(`oidc-provider cluster: ${WORKERS} workers on http://${HOST}:${PORT}`);
} else {
  const redis = new Redis(process.env.REDIS_URL);
  const issuer = `http://${HOST}:${PORT}`;
  const rtClient = {
    client_id: process.env.RT_CLIENT_ID ?? 'bench-rt',
    client_secret: process.env.RT_CLIENT_SECRET ?? 'bench-rt-secret-change-me',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: [REDIRECT],
    token_endpoint_auth_method: 'client_secret_basic',
    scope: `openid offline_access ${SCOPE}`,
  };
  const provider = new Provider(issuer, {
    adapter: redisAdapter(redis, process.env.REDIS_PREFIX ?? 'oidcbench:'),
    clients: [
      {
        client_id: process.env.CLIENT_ID ?? 'bench-client',
        client_secret: process.env.CLIENT_SECRET ?? 'bench-secret-change-me',
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        token_endpoint_auth_method: 'client_secret_basic',
        scope: SCOPE,
      },
      rtClient,
    ],
    scopes: ['openid', 'offline_access', SCOPE],
    jwks: { keys: [JSON.parse(process.env.BENCH_JWK)] },
    clientDefaults: {
      id_token_signed_response_alg: ALG,
      token_endpoint_auth_method: 'client_secret_basic',
    },
    cookies: { keys: [process.env.BENCH_COOKIE_KEY] },
    findAccount: async (_ctx, sub) => ({ accountId: sub, claims: async () => ({ sub }) }),
    // Identra rotates on every use; so does the peer here.
    rotateRefreshToken: true,
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: { enabled: false },
      revocation: { enabled: false },
      resourceIndicators: {
        enabled: true,
        defaultResource: async () => RESOURCE,
        useGrantedResource: async () => true,
        getResourceServerInfo: async (_ctx, resourceIndicator) => {
          if (resourceIndicator !== RESOURCE) throw new Provider.errors.InvalidTarget();
          return {
            scope: SCOPE,
            audience: RESOURCE,
            accessTokenTTL: 3600,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: ALG } },
          };
        },
      },
    },
    ttl: {
      ClientCredentials: (_ctx, token) => token.resourceServer?.accessTokenTTL ?? 600,
      RefreshToken: 14 * 24 * 3600,
      Grant: 14 * 24 * 3600,
    },
  });
  provider.on('server_error', (_ctx, err) => console.error('oidc-provider server_error:', err));

  // A refresh token as the authorization_code grant would have left it after a login.
  async function seed() {
    const client = await provider.Client.find(rtClient.client_id);
    const grant = new provider.Grant({ accountId: ACCOUNT, clientId: client.clientId });
    grant.addOIDCScope('openid offline_access');
    grant.addResourceScope(RESOURCE, SCOPE);
    const grantId = await grant.save();
    const token = new provider.RefreshToken({
      accountId: ACCOUNT,
      client,
      grantId,
      gty: 'authorization_code',
      scope: `openid offline_access ${SCOPE}`,
      resource: RESOURCE,
      authTime: Math.floor(Date.now() / 1000),
    });
    return token.save();
  }

  const callback = provider.callback();
  const server = createServer((req, res) => {
    if (req.url === '/bench/seed' && req.method === 'POST') {
      if (req.headers['x-bench-seed'] !== process.env.SEED_SECRET || !process.env.SEED_SECRET) {
        res.writeHead(403).end();
        return;
      }
      seed().then(
        (value) => res.writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ refresh_token: value })),
        (err) => {
          console.error('seed failed:', err);
          res.writeHead(500).end();
        },
      );
      return;
    }
    callback(req, res);
  });
  server.keepAliveTimeout = 65_000;
  server.listen(PORT, HOST);
  const shutdown = () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}
