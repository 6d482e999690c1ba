// Canned management API answers for component and accessibility tests.
import type { Recorded } from "./test-utils";

const stamp = { created_at: "2026-01-01T00:00:00Z", updated_at: "2026-01-02T00:00:00Z", version: 3 };
export const alice = {
  id: "u1",
  ...stamp,
  username: "alice",
  user_store: "PRIMARY",
  status: "active",
  display_name: "Alice",
  given_name: null,
  family_name: null,
  locale: null,
  external_id: null,
  emails: [{ value: "alice@example.com", type: null, primary: true, verified: true }],
  phone_numbers: [],
  claims: {},
  has_password: true,
};
export const staff = { id: "g1", ...stamp, name: "staff", description: "Everyone", external_id: null };
export const auditor = { id: "r1", ...stamp, name: "auditor", description: "", audience: "management", permissions: ["audit:read", "users:read"] };
export const ldapStore = {
  id: "s1",
  ...stamp,
  identifier: "CORP",
  kind: "ldap",
  description: "",
  position: 1,
  read_only: true,
  enabled: true,
  config: { url: "ldaps://ldap.example", users_dn: "ou=people,dc=example", bind_dn: "cn=reader", start_tls: false, verify_tls: true },
  has_bind_password: true,
};
export const google = {
  id: "i1",
  ...stamp,
  name: "Google",
  kind: "google",
  enabled: true,
  jit_provisioning: true,
  config: { client_id: "gid", issuer: "https://accounts.google.com", scopes: ["openid", "email"], link_by_email: true, token_endpoint_auth_method: "client_secret_basic" },
  has_client_secret: true,
};
export const rootOrg = { id: "o1", ...stamp, handle: "root", name: "Root", status: "active", parent: null };
export const childOrg = { id: "o2", ...stamp, handle: "acme", name: "Acme", status: "active", parent: "root" };
export const action = {
  id: "a1",
  ...stamp,
  name: "enrich",
  type: "preIssueAccessToken",
  description: "",
  endpoint: "https://hooks.example/enrich",
  authentication: { type: "basic", username: "identra" },
  timeout_ms: 2000,
  failure_policy: "fail_closed",
  rule: { condition: "OR", rules: [{ condition: "AND", expressions: [{ field: "application", operator: "equals", value: "app1" }] }] },
  enabled: true,
  config: {},
  signed: false,
};
export const actionTypes = [
  { type: "preIssueAccessToken", display_name: "Pre Issue Access Token", description: "Before a token is issued.", rule_fields: ["application", "grantType"], count: 1 },
  { type: "preUpdatePassword", display_name: "Pre Update Password", description: "Before a password change.", rule_fields: ["flow"], count: 0 },
];
export const webhook = { id: "w1", ...stamp, url: "https://hooks.example/events", events: ["*"], enabled: true, description: "" };
export const event = {
  id: "e1",
  seq: 42,
  at: "2026-01-03T10:00:00Z",
  action: "user.create",
  outcome: "success",
  actor_type: "user",
  actor_id: "u0",
  target_type: "user",
  target_id: "u1",
  ip: "127.0.0.1",
  request_id: "req-1",
  details: { username: "alice" },
};
export const app = {
  id: "p1",
  ...stamp,
  name: "Billing",
  type: "web",
  description: "",
  enabled: true,
  client_id: "cid-1",
  token_endpoint_auth_method: "client_secret_basic",
  redirect_uris: ["https://billing.example/cb"],
  post_logout_redirect_uris: [],
  grant_types: ["authorization_code", "refresh_token"],
  response_types: ["code"],
  scopes: ["invoices:read"],
  audiences: [],
  pkce_required: true,
  access_token_format: "jwt",
  access_token_ttl: null,
  refresh_token_ttl: 86400,
  skip_consent: false,
};

const page = (items: unknown[]) => ({ status: 200, body: { items, next_cursor: null } });

/** Answers GETs from the fixtures above; writes answer 204 unless `write` says otherwise. */
export const brandingTheme = {
  display_name: "Root",
  logo_url: null,
  primary_color: "#aa3300",
  primary_text_color: null,
  background_color: null,
  surface_color: null,
  text_color: null,
  muted_color: null,
  border_color: null,
  radius_px: 4,
  font: "humanist",
};

export function fixtureApi(write?: (req: Recorded) => { status: number; body?: unknown } | undefined) {
  return (req: Recorded): { status: number; body?: unknown } => {
    if (req.method !== "GET") return write?.(req) ?? { status: 204 };
    const path = new URL(req.url, "http://x").pathname.replace(/^\/api\/v1/, "");
    const routes: [RegExp, () => { status: number; body?: unknown }][] = [
      [/^\/orgs$/, () => page([rootOrg, childOrg])],
      [/^\/orgs\/[^/]+$/, () => ({ status: 200, body: rootOrg })],
      [/^\/orgs\/root\/children$/, () => page([childOrg])],
      [/^\/orgs\/[^/]+\/children$/, () => page([])],
      [/\/users$/, () => page([alice])],
      [/\/users\/[^/]+$/, () => ({ status: 200, body: alice })],
      [/\/groups$/, () => page([staff])],
      [/\/groups\/[^/]+$/, () => ({ status: 200, body: staff })],
      [/\/groups\/[^/]+\/members$/, () => page([{ user_id: "u1", username: "alice" }])],
      [/\/roles$/, () => page([auditor])],
      [/\/roles\/[^/]+$/, () => ({ status: 200, body: auditor })],
      [/\/roles\/[^/]+\/assignments$/, () => page([{ id: "as1", role_id: "r1", user_id: "u1", group_id: null }])],
      [/\/user-stores$/, () => page([ldapStore])],
      [/\/user-stores\/[^/]+$/, () => ({ status: 200, body: ldapStore })],
      [/\/identity-providers$/, () => page([google])],
      [/\/identity-providers\/[^/]+$/, () => ({ status: 200, body: google })],
      [/\/actions\/types$/, () => ({ status: 200, body: actionTypes })],
      [/\/actions$/, () => page([action])],
      [/\/actions\/[^/]+$/, () => ({ status: 200, body: action })],
      [/\/webhooks$/, () => page([webhook])],
      [/\/webhooks\/[^/]+\/messages$/, () => ({ status: 200, body: [] })],
      [/\/webhooks\/[^/]+$/, () => ({ status: 200, body: webhook })],
      [/\/audit-events$/, () => page([event])],
      [/\/branding$/, () => ({ status: 200, body: brandingTheme })],
      [/\/applications$/, () => page([app])],
      [/\/applications\/[^/]+$/, () => ({ status: 200, body: app })],
    ];
    for (const [re, answer] of routes) if (re.test(path)) return answer();
    return { status: 404, body: { title: "Not Found", status: 404, detail: `no fixture for ${path}` } };
  };
}
