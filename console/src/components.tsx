// Small shared pieces: problem display, fields with their API error, pagination.
import { useId, type ReactNode } from "react";
import { ApiError } from "./api/client";

export function ProblemBanner({ error }: { error: unknown }) {
  if (!error) return null;
  const message =
    error instanceof ApiError
      ? `${error.title}${error.detail ? `: ${error.detail}` : ""}`
      : error instanceof Error
        ? error.message
        : String(error);
  return (
    <div role="alert" className="problem">
      {message}
    </div>
  );
}

export function fieldError(error: unknown, name: string): string | undefined {
  return error instanceof ApiError ? error.field(name) : undefined;
}

interface FieldProps {
  label: string;
  error?: string | undefined;
  hint?: string;
  children: (props: { id: string; "aria-invalid": boolean; "aria-describedby"?: string }) => ReactNode;
}

export function Field({ label, error, hint, children }: FieldProps) {
  const id = useId();
  const described = [hint ? `${id}-hint` : "", error ? `${id}-error` : ""].filter(Boolean).join(" ");
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children({ id, "aria-invalid": Boolean(error), ...(described ? { "aria-describedby": described } : {}) })}
      {hint && (
        <p className="hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      {error && (
        <p className="field-error" id={`${id}-error`}>
          {error}
        </p>
      )}
    </div>
  );
}

export function Pager({
  hasPrevious,
  hasNext,
  onPrevious,
  onNext,
}: {
  hasPrevious: boolean;
  hasNext: boolean;
  onPrevious: () => void;
  onNext: () => void;
}) {
  return (
    <nav className="pager" aria-label="Pages">
      <button type="button" onClick={onPrevious} disabled={!hasPrevious}>
        Previous page
      </button>
      <button type="button" onClick={onNext} disabled={!hasNext}>
        Next page
      </button>
    </nav>
  );
}

/** Cursor pagination state: a stack of cursors of the pages before the current one. */
export interface Cursors {
  stack: (string | null)[];
  current: string | null;
}
export const firstPage: Cursors = { stack: [], current: null };
export function nextPage(c: Cursors, next: string): Cursors {
  return { stack: [...c.stack, c.current], current: next };
}
export function previousPage(c: Cursors): Cursors {
  return c.stack.length ? { stack: c.stack.slice(0, -1), current: c.stack[c.stack.length - 1] ?? null } : c;
}
