// The Flows section: the visual login-flow designer, loaded on demand so the main bundle stays small.
import { Suspense, lazy } from "react";
import type { FlowApi } from "../designer/api";

const FlowsPage = lazy(() => import("../designer/FlowsPage"));

export function Flows({ api }: { api?: FlowApi } = {}) {
  return (
    <Suspense fallback={<p role="status">Loading the flow designer…</p>}>
      <FlowsPage api={api} />
    </Suspense>
  );
}
