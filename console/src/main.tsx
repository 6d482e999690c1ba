import { StrictMode, useCallback, useEffect, useState } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./App";
import {
  authorizationUrl,
  completeSignIn,
  currentSession,
  loadConfig,
  signOut,
  type ConsoleConfig,
  type Session,
} from "./auth";
import { Router } from "./router";
import "./styles.css";

type State =
  | { kind: "loading" }
  | { kind: "error"; message: string }
  | { kind: "ready"; config: ConsoleConfig; session: Session };

async function start(): Promise<State> {
  const config = await loadConfig();
  if (window.location.pathname === "/console/callback") {
    const next = await completeSignIn(config, window.location.search);
    window.history.replaceState(null, "", next);
  }
  const session = currentSession();
  if (!session) {
    window.location.assign(await authorizationUrl(config, window.location.pathname + window.location.search));
    return { kind: "loading" };
  }
  return { kind: "ready", config, session };
}

function Root() {
  const [state, setState] = useState<State>({ kind: "loading" });
  useEffect(() => {
    start().then(setState, (e: unknown) =>
      setState({ kind: "error", message: e instanceof Error ? e.message : String(e) }),
    );
  }, []);
  const reauthenticate = useCallback(() => {
    signOut();
    if (state.kind === "ready") {
      void authorizationUrl(state.config, window.location.pathname).then((url) => window.location.assign(url));
    }
  }, [state]);
  if (state.kind === "loading") return <p className="center">Signing in…</p>;
  if (state.kind === "error") {
    return (
      <div className="center" role="alert">
        <p>{state.message}</p>
        <p>
          <a href="/console/">Try again</a>
        </p>
      </div>
    );
  }
  return (
    <Router>
      <App
        token={state.session.accessToken}
        user={state.session.name}
        subject={state.session.subject}
        homeOrg={state.config.org}
        issuer={state.config.issuer}
        onSignOut={() => {
          signOut();
          setState({ kind: "error", message: "You have signed out." });
        }}
        onUnauthorized={reauthenticate}
      />
    </Router>
  );
}

const container = document.getElementById("root");
if (container) {
  createRoot(container).render(
    <StrictMode>
      <Root />
    </StrictMode>,
  );
}
