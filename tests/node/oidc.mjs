// openid-client (v6) as an independent relying party, driven step by step from pytest.
//
//   node oidc.mjs <command> '<json input>'   ->   one JSON object on stdout
//   node oidc.mjs serve                      ->   reads {"command", "input"} lines on stdin,
//                                                answers one JSON line each (one process
//                                                for a whole test module)
//
// Every command discovers the issuer first (openid-client validates the metadata: the issuer
// must match, endpoints must be URLs). Errors are reported as {"error": ..., "code": ...}
// with exit status 0 so that pytest can assert on them; a crash exits non-zero.
import * as client from 'openid-client'

import * as readline from 'node:readline'

const [command, raw] = process.argv.slice(2)
let input = JSON.parse(raw ?? '{}')

async function configure() {
  const auth = input.client_secret ? client.ClientSecretBasic(input.client_secret) : client.None()
  // http://127.0.0.1 in tests: allowInsecureRequests also applies to the discovery request.
  return client.discovery(new URL(input.issuer), input.client_id, undefined, auth, {
    execute: [client.allowInsecureRequests],
  })
}

function describe(error) {
  // OAuth errors carry `error`; a 401 with a WWW-Authenticate challenge carries the challenge
  // (RFC 6750 §3 / RFC 6749 §5.2 "invalid_client" with Basic) in `cause`.
  let code = error.error
  if (!code && Array.isArray(error.cause)) code = error.cause[0]?.parameters?.error
  if (!code && error.cause && typeof error.cause === 'object') code = error.cause.error
  return {
    error: code ?? error.name,
    kind: error.name,
    code: error.code ?? null,
    message: error.message,
    status: error.status ?? null,
  }
}

const commands = {
  async discover() {
    const config = await configure()
    return { metadata: config.serverMetadata() }
  },

  async start() {
    const config = await configure()
    const verifier = client.randomPKCECodeVerifier()
    const state = client.randomState()
    const nonce = client.randomNonce()
    const parameters = {
      redirect_uri: input.redirect_uri,
      scope: input.scope ?? 'openid profile email',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
      ...(input.extra ?? {}),
    }
    const url = client.buildAuthorizationUrl(config, parameters)
    return { url: url.href, verifier, state, nonce }
  },

  async callback() {
    const config = await configure()
    const tokens = await client.authorizationCodeGrant(config, new URL(input.callback_url), {
      pkceCodeVerifier: input.verifier,
      expectedState: input.state,
      expectedNonce: input.nonce,
      idTokenExpected: true,
    })
    const claims = tokens.claims()
    const out = { tokens: { ...tokens }, claims }
    if (input.userinfo) {
      out.userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub)
    }
    return out
  },

  async refresh() {
    const config = await configure()
    const tokens = await client.refreshTokenGrant(config, input.refresh_token)
    return { tokens: { ...tokens }, claims: tokens.claims() ?? null }
  },

  async userinfo() {
    const config = await configure()
    return { userinfo: await client.fetchUserInfo(config, input.access_token, input.sub) }
  },

  async client_credentials() {
    const config = await configure()
    const tokens = await client.clientCredentialsGrant(config, { scope: input.scope })
    return { tokens: { ...tokens } }
  },

  async end_session_url() {
    const config = await configure()
    const url = client.buildEndSessionUrl(config, {
      id_token_hint: input.id_token,
      post_logout_redirect_uri: input.post_logout_redirect_uri,
      state: input.state,
    })
    return { url: url.href }
  },
}

async function execute(name) {
  const run = commands[name]
  if (!run) return { error: 'unknown_command', message: `unknown command ${name}` }
  try {
    return await run()
  } catch (error) {
    return describe(error)
  }
}

if (command === 'serve') {
  const lines = readline.createInterface({ input: process.stdin })
  for await (const line of lines) {
    const request = JSON.parse(line)
    input = request.input
    console.log(JSON.stringify(await execute(request.command)))
  }
} else {
  if (!commands[command]) {
    console.error(`unknown command ${command}`)
    process.exit(2)
  }
  console.log(JSON.stringify(await execute(command)))
}
