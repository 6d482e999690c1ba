import { render } from "@testing-library/react";
import type { ReactNode } from "react";
import { createClient } from "./api/client";
import { ConsoleContext, type ConsoleContextValue } from "./context";
import { Router } from "./router";

export interface Recorded {
  method: string;
  url: string;
  body: unknown;
  authorization: string | null;
  ifMatch: string | null;
}

/** A fake fetch answering from a list of handlers; records every request. */
export function fakeFetch(answer: (req: Recorded) => { status: number; body?: unknown }) {
  const calls: Recorded[] = [];
  const impl = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const headers = (init?.headers ?? {}) as Record<string, string>;
    const req: Recorded = {
      method: init?.method ?? "GET",
      url: String(input),
      body: typeof init?.body === "string" ? JSON.parse(init.body) : null,
      authorization: headers.authorization ?? null,
      ifMatch: headers["if-match"] ?? null,
    };
    calls.push(req);
    const { status, body } = answer(req);
    const problem = status >= 400;
    return new Response(body === undefined ? null : JSON.stringify(body), {
      status,
      headers: { "content-type": problem ? "application/problem+json" : "application/json" },
    });
  };
  return { calls, impl: impl as typeof fetch };
}

export function renderWithApi(
  ui: ReactNode,
  fetchImpl: typeof fetch,
  org = "root",
  extra: Partial<Omit<ConsoleContextValue, "api" | "org">> = {},
) {
  const api = createClient(() => "test-token", () => undefined, fetchImpl);
  return render(
    <Router>
      <ConsoleContext.Provider value={{ api, org, ...extra }}>{ui}</ConsoleContext.Provider>
    </Router>,
  );
}
