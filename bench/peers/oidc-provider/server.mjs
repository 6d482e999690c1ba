// Peer server for bench/token_throughput.py: panva's oidc-provider configured to
// issue RFC 9068 JWT access tokens through the client_credentials grant, the same
// work Identra's token endpoint does in that benchmark.
//
// Environment:
//   PORT           TCP port on 127.0.0.1 (required)
//   ALG            RS256 or ES256 (default RS256): the access-token signing algorithm
//   CLIENT_ID      default "bench-client"
//   CLIENT_SECRET  default "bench-secret-change-me"
//   SCOPE          scope the client and the resource server allow (default "bench")
//
// Production-like on purpose: no dev interactions, no per-request logging, static
// client, keys generated in memory at start. Loopback only.

import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';

import Provider from 'oidc-provider';

const HOST = '127.0.0.1';
const PORT = Number.parseInt(process.env.PORT ?? '', 10);
const ALG = process.env.ALG ?? 'RS256';
const CLIENT_ID = process.env.CLIENT_ID ?? 'bench-client';
const CLIENT_SECRET = process.env.CLIENT_SECRET ?? 'bench-secret-change-me';
const SCOPE = process.env.SCOPE ?? 'bench';
const RESOURCE = 'urn:identra:bench:api';

if (!Number.isInteger(PORT) || PORT <= 0 || PORT > 65535) {
  console.error('server.mjs: set PORT to a TCP port');
  process.exit(2);
}

// One freshly generated private signing key per run, handed to the provider as a
// private JWK (`jwks`), so nothing secret is ever written to disk.
function signingJwk(alg) {
  let pair;
  if (alg === 'RS256') {
    pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
  } else if (alg === 'ES256') {
    pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  } else {
    console.error(`server.mjs: unsupported ALG ${alg} (use RS256 or ES256)`);
    process.exit(2);
  }
  return {
    ...pair.privateKey.export({ format: 'jwk' }),
    kid: `bench-${alg.toLowerCase()}`,
    alg,
    use: 'sig',
  };
}

const issuer = `http://${HOST}:${PORT}`;

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_basic',
      scope: SCOPE,
    },
  ],
  // The provider rejects unknown scopes only when they are listed here; listing the
  // bench scope makes the client's `scope` allow-list apply to it.
  scopes: ['openid', SCOPE],
  jwks: { keys: [signingJwk(ALG)] },
  // Keeps the provider's own defaults consistent with the only key it has.
  clientDefaults: {
    grant_types: ['client_credentials'],
    response_types: [],
    id_token_signed_response_alg: ALG,
    token_endpoint_auth_method: 'client_secret_basic',
  },
  cookies: { keys: [randomBytes(32).toString('base64url')] },
  // No `adapter`: the built-in in-memory one (it prints a warning at start) is never
  // touched on this path, since the client is static and JWT access tokens are not
  // stored. A real deployment would plug a database adapter in here.
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: { enabled: false },
    revocation: { enabled: false },
    // Resource indicators are what make oidc-provider emit a JWT (RFC 9068) instead
    // of an opaque, stored access token. A default resource means the client does
    // not have to send `resource=`, like Identra's token request.
    resourceIndicators: {
      enabled: true,
      defaultResource: async () => RESOURCE,
      useGrantedResource: async () => true,
      getResourceServerInfo: async (_ctx, resourceIndicator) => {
        if (resourceIndicator !== RESOURCE) {
          throw new Provider.errors.InvalidTarget();
        }
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
  },
});

// Nothing is logged per request; only failures the provider itself reports as
// server errors are worth a line, since they would otherwise hide in the bench's
// error count.
provider.on('server_error', (_ctx, err) => {
  console.error('oidc-provider server_error:', err);
});

const server = createServer(provider.callback());
server.keepAliveTimeout = 65_000;
server.listen(PORT, HOST, () => {
  console.log(`oidc-provider ${ALG} listening on ${issuer}`);
});

function shutdown() {
  server.close(() => process.exit(0));
  // Keep-alive connections from the load generator would otherwise hold close().
  server.closeAllConnections();
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
