import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { authorizationUrl, completeSignIn, currentSession, s256, type ConsoleConfig } from "./auth";

const config: ConsoleConfig = {
  issuer: "http://127.0.0.1:9",
  client_id: "identra-console",
  authorization_endpoint: "http://127.0.0.1:9/oauth2/authorize",
  token_endpoint: "http://127.0.0.1:9/oauth2/token",
  redirect_uri: "http://127.0.0.1:9/console/callback",
  scopes: ["openid", "apps:read"],
  org: "root",
};

function jwt(claims: Record<string, unknown>): string {
  const part = (v: unknown) => btoa(JSON.stringify(v)).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
  return `${part({ alg: "RS256" })}.${part(claims)}.sig`;
}

async function pending() {
  const url = new URL(await authorizationUrl(config, "/console/users"));
  return url.searchParams;
}

function tokenFetch(idClaims: Record<string, unknown>) {
  const seen: string[] = [];
  const impl = (async (_url: RequestInfo | URL, init?: RequestInit) => {
    seen.push(String(init?.body));
    return new Response(JSON.stringify({ access_token: "at", expires_in: 300, id_token: jwt(idClaims) }), { status: 200 });
  }) as typeof fetch;
  return { seen, impl };
}

beforeEach(() => sessionStorage.clear());
afterEach(() => sessionStorage.clear());

describe("sign-in", () => {
  it("asks for a code with PKCE S256, state and nonce", async () => {
    const params = await pending();
    expect(params.get("response_type")).toBe("code");
    expect(params.get("code_challenge_method")).toBe("S256");
    expect(params.get("client_id")).toBe("identra-console");
    expect(params.get("scope")).toBe("openid apps:read");
    expect(params.get("state")?.length).toBeGreaterThan(20);
    expect(params.get("nonce")?.length).toBeGreaterThan(20);
    const stored = JSON.parse(sessionStorage.getItem("identra-console:pending") ?? "{}") as { verifier: string };
    expect(params.get("code_challenge")).toBe(await s256(stored.verifier));
  });

  it("S256 is base64url(SHA-256(verifier)) without padding", async () => {
    // expected from: printf %s VERIFIER | openssl dgst -sha256 -binary | base64 (made URL-safe)
    expect(await s256("dBjftJeZ4CVP-mJ92IgbH7Y1ntUZ8SoQUlDkp7MLTwI")).toBe("v-9qD3jk_V6_BWCU0eyFJs_yxkPnUH8nPp1BCy5qdBM");
  });

  it("redeems the code with the verifier and keeps the session", async () => {
    const params = await pending();
    const fetch = tokenFetch({ iss: config.issuer, aud: "identra-console", nonce: params.get("nonce"), sub: "u1", preferred_username: "admin" });
    const next = await completeSignIn(config, `?code=c1&state=${params.get("state")}`, fetch.impl);
    expect(next).toBe("/console/users");
    const body = new URLSearchParams(fetch.seen[0]);
    expect(body.get("grant_type")).toBe("authorization_code");
    expect(body.get("code_verifier")?.length).toBeGreaterThan(40);
    expect(currentSession()?.name).toBe("admin");
  });

  it("refuses a response whose state does not match", async () => {
    await pending();
    const fetch = tokenFetch({});
    await expect(completeSignIn(config, "?code=c1&state=forged", fetch.impl)).rejects.toThrow(/state/);
    expect(fetch.seen).toHaveLength(0);
    expect(currentSession()).toBeNull();
  });

  it("refuses an ID token with another nonce", async () => {
    const params = await pending();
    const fetch = tokenFetch({ iss: config.issuer, aud: "identra-console", nonce: "other", sub: "u1" });
    await expect(completeSignIn(config, `?code=c1&state=${params.get("state")}`, fetch.impl)).rejects.toThrow(/nonce/);
    expect(currentSession()).toBeNull();
  });

  it("reports an error answered by the authorization server", async () => {
    await pending();
    await expect(completeSignIn(config, "?error=access_denied&error_description=no", tokenFetch({}).impl)).rejects.toThrow(/no/);
  });
});
