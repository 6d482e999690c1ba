// Sign-in through Identra itself: authorization code flow with PKCE (S256), state and nonce,
// as the public client named by /console/config.json. Tokens live in sessionStorage (this tab).

export interface ConsoleConfig {
  issuer: string;
  client_id: string;
  authorization_endpoint: string;
  token_endpoint: string;
  redirect_uri: string;
  scopes: string[];
  org: string;
}

export interface Session {
  accessToken: string;
  expiresAt: number; // epoch ms
  subject: string;
  name: string;
}

const PENDING = "identra-console:pending";
const SESSION = "identra-console:session";

function base64url(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function randomToken(size = 32): string {
  return base64url(crypto.getRandomValues(new Uint8Array(size)));
}

export async function s256(verifier: string): Promise<string> {
  // The verifier is ASCII (RFC 7636 §4.1), so its bytes are its character codes.
  const bytes = Uint8Array.from(verifier, (c) => c.charCodeAt(0));
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  return base64url(new Uint8Array(digest));
}

export async function loadConfig(): Promise<ConsoleConfig> {
  const response = await fetch("/console/config.json", { headers: { accept: "application/json" } });
  if (!response.ok) throw new Error(`the console configuration could not be loaded (${response.status})`);
  return (await response.json()) as ConsoleConfig;
}

/** Builds the authorization URL and remembers verifier, state and nonce for the callback. */
export async function authorizationUrl(config: ConsoleConfig, returnTo: string): Promise<string> {
  const verifier = randomToken(48);
  const state = randomToken();
  const nonce = randomToken();
  sessionStorage.setItem(PENDING, JSON.stringify({ verifier, state, nonce, returnTo }));
  const params = new URLSearchParams({
    response_type: "code",
    client_id: config.client_id,
    redirect_uri: config.redirect_uri,
    scope: config.scopes.join(" "),
    state,
    nonce,
    code_challenge: await s256(verifier),
    code_challenge_method: "S256",
  });
  return `${config.authorization_endpoint}?${params.toString()}`;
}

function decodeJwt(token: string): Record<string, unknown> {
  const part = token.split(".")[1];
  if (!part) throw new Error("malformed ID token");
  const json = atob(part.replace(/-/g, "+").replace(/_/g, "/"));
  return JSON.parse(decodeURIComponent(escape(json))) as Record<string, unknown>;
}

/** Handles the redirect back: checks state, redeems the code, checks the ID token's nonce,
 * audience and issuer (it came straight from the token endpoint over this origin's TLS, OIDC
 * Core §3.1.3.7), and stores the session. Returns where to go next. */
export async function completeSignIn(
  config: ConsoleConfig,
  search: string,
  fetchImpl: typeof fetch = (...args) => fetch(...args),
): Promise<string> {
  const params = new URLSearchParams(search);
  const raw = sessionStorage.getItem(PENDING);
  sessionStorage.removeItem(PENDING);
  if (params.get("error")) {
    throw new Error(`sign-in failed: ${params.get("error_description") ?? params.get("error")}`);
  }
  if (!raw) throw new Error("no sign-in is in progress in this tab");
  const pending = JSON.parse(raw) as { verifier: string; state: string; nonce: string; returnTo: string };
  if (params.get("state") !== pending.state) throw new Error("the sign-in response does not match (state)");
  const code = params.get("code");
  if (!code) throw new Error("the sign-in response has no code");
  const response = await fetchImpl(config.token_endpoint, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      code,
      redirect_uri: config.redirect_uri,
      client_id: config.client_id,
      code_verifier: pending.verifier,
    }).toString(),
  });
  const body = (await response.json()) as Record<string, unknown>;
  if (!response.ok || typeof body.access_token !== "string") {
    throw new Error(`the token request failed: ${String(body.error_description ?? body.error ?? response.status)}`);
  }
  const idToken = typeof body.id_token === "string" ? decodeJwt(body.id_token) : null;
  if (!idToken || idToken.nonce !== pending.nonce) throw new Error("the ID token's nonce does not match");
  const aud = idToken.aud;
  if (idToken.iss !== config.issuer || !(aud === config.client_id || (Array.isArray(aud) && aud.includes(config.client_id)))) {
    throw new Error("the ID token was not issued to this console");
  }
  const expiresIn = typeof body.expires_in === "number" ? body.expires_in : 300;
  const session: Session = {
    accessToken: body.access_token,
    expiresAt: Date.now() + expiresIn * 1000,
    subject: String(idToken.sub),
    name: String(idToken.preferred_username ?? idToken.name ?? idToken.sub),
  };
  sessionStorage.setItem(SESSION, JSON.stringify(session));
  return pending.returnTo.startsWith("/console") ? pending.returnTo : "/console/";
}

export function currentSession(): Session | null {
  const raw = sessionStorage.getItem(SESSION);
  if (!raw) return null;
  const session = JSON.parse(raw) as Session;
  if (session.expiresAt <= Date.now() + 5000) {
    sessionStorage.removeItem(SESSION);
    return null;
  }
  return session;
}

export function signOut(): void {
  sessionStorage.removeItem(SESSION);
}
