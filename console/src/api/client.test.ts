import { describe, expect, it, vi } from "vitest";
import { httpFlowApi } from "../designer/api";
import { ApiError, createClient } from "./client";

function recorder(status: number, body: unknown) {
  const seen: { url: string; method: string; headers: Record<string, string>; body: unknown }[] = [];
  const impl = (async (input: RequestInfo | URL, init?: RequestInit) => {
    seen.push({ url: String(input), method: init?.method ?? "GET", headers: (init?.headers ?? {}) as Record<string, string>, body: init?.body });
    return new Response(body === undefined ? null : JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
  }) as typeof fetch;
  return { seen, impl };
}

describe("ApiClient.send", () => {
  it("sends text/plain bodies as they are, with the bearer token", async () => {
    const r = recorder(200, { ok: true });
    const api = createClient(() => "tok", () => undefined, r.impl);
    expect(await api.send("POST", "/api/v1/orgs/root/flows/validate", "step login password", { contentType: "text/plain" })).toEqual({ ok: true });
    expect(r.seen[0]).toMatchObject({
      method: "POST",
      body: "step login password",
      headers: { authorization: "Bearer tok", "content-type": "text/plain; charset=utf-8" },
    });
  });

  it("signs in again on a 401 and throws the problem, from the designer's calls too", async () => {
    const r = recorder(401, { title: "Unauthorized", detail: "the token expired", status: 401 });
    const onUnauthorized = vi.fn();
    const flows = httpFlowApi("root", createClient(() => "old", onUnauthorized, r.impl));
    const error = await flows.save(null, { version: "identra.flow/1", start: "a", nodes: [] } as never).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).detail).toBe("the token expired");
    expect(onUnauthorized).toHaveBeenCalledTimes(1);
    expect(r.seen[0]).toMatchObject({ method: "PUT", url: "/api/v1/orgs/root/flows/default", headers: { "content-type": "application/json" } });
  });

  it("answers undefined for 204", async () => {
    const r = recorder(204, undefined);
    const api = createClient(() => null, () => undefined, r.impl);
    expect(await api.send("DELETE", "/api/v1/orgs/root/branding")).toBeUndefined();
    expect(r.seen[0]?.headers.authorization).toBeUndefined();
  });
});
