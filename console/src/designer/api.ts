// The flows endpoints the designer uses, through the console's API client (`send`: PUT and
// text/plain bodies), so a 401 signs in again and problems arrive as ApiError like elsewhere.
import { ApiError, type ApiClient } from "../api/client";
import type { FlowDoc } from "./model";

export interface FlowRecord {
  client_id: string | null;
  ref: string | null;
  revision: number;
  inherited: boolean;
  document: FlowDoc;
  text: string;
}

export interface Checked {
  document: FlowDoc;
  text: string;
}

export interface Revision {
  ref: string;
  revision: number;
  active: boolean;
  name: string | null;
  created_by: string | null;
  created_at: string | null;
}

export interface CatalogOption {
  option: string;
  label: string;
  first_factor: boolean;
  kind: "authenticator" | "idp" | "action";
}

export interface Catalog {
  options: CatalogOption[];
  roles: string[];
  groups: string[];
  user_stores: string[];
  applications: { client_id: string; name: string }[];
  node_kinds: string[];
}

export interface Preview {
  node: string;
  kind: string;
  html: string;
}

export interface Question {
  text: string;
  phrase: string;
  candidates: string[];
  kind: string;
}

export interface Generated {
  status: "flow" | "question";
  alternative: number;
  alternatives: number;
  document: FlowDoc | null;
  text: string | null;
  explanation: string | null;
  assumptions: string[];
  questions: Question[];
  notes: string[];
  diff: string | null;
}

export interface FlowApi {
  load(clientId: string | null): Promise<FlowRecord>;
  save(clientId: string | null, doc: FlowDoc): Promise<FlowRecord>;
  history(clientId: string | null): Promise<Revision[]>;
  validate(body: FlowDoc | string): Promise<Checked>;
  catalog(): Promise<Catalog>;
  preview(doc: FlowDoc, node: string, clientId: string | null): Promise<Preview>;
  generate(description: string, clientId: string | null, alternative: number): Promise<Generated>;
}

/** The flows API of organization ``org`` through the console's client. */
export function httpFlowApi(org: string, client: ApiClient): FlowApi {
  const base = `/api/v1/orgs/${encodeURIComponent(org)}/flows`;
  const where = (clientId: string | null) => (clientId === null ? "/default" : `/apps/${encodeURIComponent(clientId)}`);
  const send = <T>(method: string, path: string, body?: unknown): Promise<T> =>
    client.send<T>(method, base + path, body, typeof body === "string" ? { contentType: "text/plain" } : {});
  return {
    load: (clientId) => send("GET", where(clientId)),
    save: (clientId, doc) => send("PUT", where(clientId), doc),
    history: (clientId) => send("GET", `${where(clientId)}/history`),
    validate: (body) => send("POST", "/validate", body),
    catalog: () => send("GET", "/catalog"),
    preview: (doc, node, clientId) => send("POST", "/preview", { flow: doc, text: null, node, client_id: clientId, locale: null }),
    generate: (description, clientId, alternative) =>
      send("POST", "/generate", { description, client_id: clientId, alternative }),
  };
}

/** The problems of a failed validation (or one line for any other error). */
export function problemsOf(error: unknown): { pointer: string; detail: string }[] {
  if (error instanceof ApiError) {
    if (error.errors.length) return error.errors;
    return [{ pointer: "", detail: error.detail || error.title }];
  }
  return [{ pointer: "", detail: error instanceof Error ? error.message : String(error) }];
}
