// Hand-written types for management routes that the generated schema.ts may not have yet (it is
// regenerated from openapi.json by `npm run gen:api`). client.ts only uses an entry here while
// schema.ts lacks that path, so a regenerated schema takes over without any change.

type Json<T> = { content: { "application/json": T } };
type NoContent = { content?: never };
type Op<PathP, Query, Body, Ok> = {
  parameters: { path: PathP; query?: Query };
  responses: Ok;
} & ([Body] extends [never] ? { requestBody?: never } : { requestBody: { content: { "application/json": Body } } });
type Method = "get" | "put" | "post" | "delete" | "patch";
/** A path item with every method key, as openapi-typescript writes them. */
type Route<T> = T & { [K in Exclude<Method, keyof T>]?: never };
type OrgP = { org: string };

interface Resource {
  id: string;
  created_at: string;
  updated_at: string;
  version: number;
}

export type ActionAuth =
  | { type: "none" }
  | { type: "basic"; username: string; password: string }
  | { type: "bearer"; token: string }
  | { type: "api_key"; header: string; value: string };

export interface RuleExpression {
  field: string;
  operator: "equals" | "notEquals";
  value: string;
}
export interface Rule {
  condition: "OR";
  rules: { condition: "AND"; expressions: RuleExpression[] }[];
}

export type ActionTypeName =
  | "preIssueAccessToken"
  | "preUpdatePassword"
  | "preUpdateProfile"
  | "preRegistration"
  | "authentication";

export interface ActionOut extends Resource {
  name: string;
  type: string;
  description: string;
  endpoint: string;
  authentication: { [key: string]: string };
  timeout_ms: number;
  failure_policy: string;
  rule: { [key: string]: unknown } | null;
  enabled: boolean;
  config: { [key: string]: unknown };
  signed: boolean;
}
export interface ActionWritten extends ActionOut {
  signing_secret?: string | null;
}
export interface ActionCreate {
  name: string;
  type: ActionTypeName;
  description?: string;
  endpoint: string;
  authentication?: ActionAuth;
  timeout_ms?: number;
  failure_policy?: "fail_closed" | "fail_open";
  rule?: Rule | null;
  enabled?: boolean;
  config?: { [key: string]: unknown };
  signed?: boolean;
}
export type ActionPatch = Partial<Omit<ActionCreate, "type">>;
export interface ActionTypeOut {
  type: string;
  display_name: string;
  description: string;
  rule_fields: string[];
  count: number;
}

export interface WebhookOut extends Resource {
  url: string;
  events: string[];
  enabled: boolean;
  description: string;
}
export interface WebhookCreated extends WebhookOut {
  secret: string;
}
export interface WebhookCreate {
  url: string;
  events?: string[];
  enabled?: boolean;
  description?: string;
}
export type WebhookPatch = Partial<WebhookCreate>;
export interface MessageOut {
  seq: number;
  event_type: string;
  status: string;
  attempts: number;
  next_attempt_at: string | null;
  delivered_at: string | null;
  last_error: string | null;
  payload: { [key: string]: unknown };
}

type PageOf<T> = { items: T[]; next_cursor?: string | null };
type ListQ = { cursor?: string | null; limit?: number };

export interface extraPaths {
  "/api/v1/orgs/{org}/actions": Route<{
    get: Op<OrgP, ListQ & { type?: ActionTypeName | null; name?: string | null; enabled?: boolean | null }, never, { 200: Json<PageOf<ActionOut>> }>;
    post: Op<OrgP, never, ActionCreate, { 201: Json<ActionWritten> }>;
  }>;
  "/api/v1/orgs/{org}/actions/types": Route<{
    get: Op<OrgP, never, never, { 200: Json<ActionTypeOut[]> }>;
  }>;
  "/api/v1/orgs/{org}/actions/{action_id}": Route<{
    get: Op<OrgP & { action_id: string }, never, never, { 200: Json<ActionOut> }>;
    patch: Op<OrgP & { action_id: string }, never, ActionPatch, { 200: Json<ActionWritten> }>;
    delete: Op<OrgP & { action_id: string }, never, never, { 204: NoContent }>;
  }>;
  "/api/v1/orgs/{org}/actions/{action_id}/signing-secret": Route<{
    post: Op<OrgP & { action_id: string }, never, never, { 200: Json<{ signing_secret: string }> }>;
  }>;
  "/api/v1/orgs/{org}/webhooks": Route<{
    get: Op<OrgP, ListQ, never, { 200: Json<PageOf<WebhookOut>> }>;
    post: Op<OrgP, never, WebhookCreate, { 201: Json<WebhookCreated> }>;
  }>;
  "/api/v1/orgs/{org}/webhooks/{webhook_id}": Route<{
    get: Op<OrgP & { webhook_id: string }, never, never, { 200: Json<WebhookOut> }>;
    patch: Op<OrgP & { webhook_id: string }, never, WebhookPatch, { 200: Json<WebhookOut> }>;
    delete: Op<OrgP & { webhook_id: string }, never, never, { 204: NoContent }>;
  }>;
  "/api/v1/orgs/{org}/webhooks/{webhook_id}/secret": Route<{
    post: Op<OrgP & { webhook_id: string }, never, never, { 200: Json<{ secret: string }> }>;
  }>;
  "/api/v1/orgs/{org}/webhooks/{webhook_id}/messages": Route<{
    get: Op<
      OrgP & { webhook_id: string },
      { status?: "pending" | "delivered" | "failed" | null; limit?: number },
      never,
      { 200: Json<MessageOut[]> }
    >;
  }>;
}
