import { createContext, useContext } from "react";
import type { ApiClient } from "./api/client";

export interface ConsoleContextValue {
  api: ApiClient;
  org: string;
}

export const ConsoleContext = createContext<ConsoleContextValue | null>(null);

export function useConsole(): ConsoleContextValue {
  const value = useContext(ConsoleContext);
  if (!value) throw new Error("useConsole outside ConsoleContext");
  return value;
}
