// A small typed fetch wrapper over the generated OpenAPI types (src/api/schema.ts).
import type { components, paths } from "./schema";

export type Schemas = components["schemas"];
export type AppOut = Schemas["AppOut"];
export type AppCreate = Schemas["AppCreate"];
export type AppCreated = Schemas["AppCreated"];
export type UserOut = Schemas["UserOut"];
export type UserCreate = Schemas["UserCreate"];
export type OrgOut = Schemas["OrgOut"];
export type UserPatch = Schemas["UserPatch"];
export type GroupOut = Schemas["GroupOut"];
export type MemberOut = Schemas["MemberOut"];
export type RoleOut = Schemas["RoleOut"];
export type AssignmentOut = Schemas["AssignmentOut"];
export type UserStoreOut = Schemas["UserStoreOut"];
export type IdpOut = Schemas["IdpOut"];
export type IdpCreate = Schemas["IdpCreate"];
export type AuditEventOut = Schemas["AuditEventOut"];
export type Permission = NonNullable<Schemas["RoleCreate"]["permissions"]>[number];
export type ActionOut = Schemas["ActionOut"];
export type ActionWritten = Schemas["ActionWritten"];
export type ActionCreate = Schemas["ActionCreate"];
export type ActionTypeOut = Schemas["ActionTypeOut"];
export type ActionAuth = NonNullable<ActionCreate["authentication"]>;
export type ActionTypeName = ActionCreate["type"];
export type Rule = Schemas["RuleIn"];
export type RuleExpression = Schemas["RuleExpression"];
export type WebhookOut = Schemas["WebhookOut"];
export type WebhookCreated = Schemas["WebhookCreated"];
export type MessageOut = Schemas["MessageOut"];
export type Theme = Schemas["Theme"];
/** The paths answering a page of items (`items`, `next_cursor`) to a GET. */
export type ListPath = {
  [P in keyof paths]: Ok<Op<P, "get">> extends { items: unknown[]; next_cursor?: string | null } ? P : never;
}[keyof paths];
export type ItemOf<P extends ListPath> = Ok<Op<P, "get">> extends { items: (infer T)[] } ? T : never;
export type ListQuery<P extends ListPath> = QueryParams<Op<P, "get">>;

type Method = "get" | "put" | "post" | "patch" | "delete";
export type { paths };
type Op<P extends keyof paths, M extends Method> = NonNullable<paths[P][M]>;
type Params<O> = O extends { parameters: infer X } ? X : never;
type PathParams<O> = Params<O> extends { path: infer X } ? X : never;
type QueryParams<O> = Params<O> extends { query?: infer X } ? X : never;
type Body<O> = O extends { requestBody: { content: { "application/json": infer B } } } ? B : never;
type Json<R> = R extends { content: { "application/json": infer T } } ? T : undefined;
type Ok<O> = O extends { responses: infer R }
  ? R extends { 200: infer A }
    ? Json<A>
    : R extends { 201: infer A }
      ? Json<A>
      : undefined
  : never;

export interface CallOptions<O> {
  path?: PathParams<O>;
  query?: QueryParams<O>;
  body?: Body<O>;
  /** Sent as If-Match: the version the form was read at, so a concurrent change is a 412. */
  version?: number;
}

export interface FieldError {
  pointer: string;
  detail: string;
}

/** An RFC 9457 problem answered by the management API. */
export class ApiError extends Error {
  readonly status: number;
  readonly title: string;
  readonly detail: string;
  readonly errors: FieldError[];

  constructor(status: number, title: string, detail: string, errors: FieldError[] = []) {
    super(detail || title);
    this.status = status;
    this.title = title;
    this.detail = detail;
    this.errors = errors;
  }

  /** The message for a form field (pointer "/name" or "/emails/0/value" for field "emails"). */
  field(name: string): string | undefined {
    return this.errors.find((e) => e.pointer === `/${name}` || e.pointer.startsWith(`/${name}/`))
      ?.detail;
  }
}

async function problemOf(response: Response): Promise<ApiError> {
  let body: unknown = null;
  try {
    body = await response.json();
  } catch {
    // not JSON: fall back to the status text
  }
  const b = (body ?? {}) as { title?: unknown; detail?: unknown; errors?: unknown };
  const errors = Array.isArray(b.errors)
    ? b.errors.filter(
        (e): e is FieldError =>
          typeof e === "object" && e !== null && typeof e.pointer === "string" && typeof e.detail === "string",
      )
    : [];
  return new ApiError(
    response.status,
    typeof b.title === "string" ? b.title : response.statusText || "Error",
    typeof b.detail === "string" ? b.detail : "",
    errors,
  );
}

export interface SendOptions {
  /** "application/json" (the default: the body is JSON-encoded) or "text/plain" (a string sent as it is). */
  contentType?: "application/json" | "text/plain";
  /** Sent as If-Match. */
  version?: number;
}

export interface ApiClient {
  call<P extends keyof paths, M extends Method>(
    path: P,
    method: M,
    options?: CallOptions<Op<P, M>>,
  ): Promise<Ok<Op<P, M>>>;
  /**
   * Any method on a ready URL (query included), for bodies the typed `call` cannot describe
   * (`text/plain`); the same bearer token, 401 handling and problem details as `call`.
   */
  send<T>(method: string, url: string, body?: unknown, options?: SendOptions): Promise<T>;
}

export function createClient(
  getToken: () => string | null,
  onUnauthorized: () => void = () => undefined,
  fetchImpl: typeof fetch = (...args) => fetch(...args),
): ApiClient {
  async function send<T>(method: string, url: string, body?: unknown, options: SendOptions = {}): Promise<T> {
    const headers: Record<string, string> = { accept: "application/json" };
    const token = getToken();
    if (token) headers.authorization = `Bearer ${token}`;
    if (options.version !== undefined) headers["if-match"] = `"${options.version}"`;
    let payload: string | undefined;
    if (body !== undefined) {
      if (options.contentType === "text/plain") {
        headers["content-type"] = "text/plain; charset=utf-8";
        payload = String(body);
      } else {
        headers["content-type"] = "application/json";
        payload = JSON.stringify(body);
      }
    }
    const response = await fetchImpl(url, { method: method.toUpperCase(), headers, body: payload });
    if (!response.ok) {
      if (response.status === 401) onUnauthorized();
      throw await problemOf(response);
    }
    if (response.status === 204) return undefined as T;
    return (await response.json()) as T;
  }
  return {
    send,
    call(path, method, options = {}) {
      let url = String(path).replace(/\{(\w+)\}/g, (_m, name: string) => {
        const value = (options.path as Record<string, string> | undefined)?.[name];
        if (value === undefined) throw new Error(`missing path parameter ${name}`);
        return encodeURIComponent(value);
      });
      const query = new URLSearchParams();
      for (const [k, v] of Object.entries((options.query ?? {}) as Record<string, unknown>)) {
        if (v !== undefined && v !== null && v !== "") query.set(k, String(v));
      }
      if ([...query].length) url += `?${query.toString()}`;
      return send(method, url, options.body, options.version === undefined ? {} : { version: options.version });
    },
  };
}
