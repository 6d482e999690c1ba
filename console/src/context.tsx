import { createContext, useContext } from "react";
import type { ApiClient } from "./api/client";

export interface ConsoleContextValue {
  api: ApiClient;
  org: string;
  /** The issuer (the hosted pages' base URL); the console's origin when not given. */
  issuer?: string;
  /** Switch the console to another organization (by handle). */
  switchOrg?: (org: string) => void;
  /** Tell the organization switcher that the list of organizations changed. */
  orgsChanged?: () => void;
}

export const ConsoleContext = createContext<ConsoleContextValue | null>(null);

export function useConsole(): ConsoleContextValue {
  const value = useContext(ConsoleContext);
  if (!value) throw new Error("useConsole outside ConsoleContext");
  return value;
}
