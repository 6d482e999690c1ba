// The flow designer page (lazy-loaded by sections/Flows.tsx).
export default function FlowsPage() {
  return (
    <section aria-labelledby="flows-title">
      <h1 id="flows-title">Login flows</h1>
    </section>
  );
}
