// Small shared pieces: problem display, fields with their API error, pagination.
import { useEffect, useId, useLayoutEffect, useRef, useState, type ReactNode } from "react";
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

/** The message for exactly this pointer (not for fields beneath it). */
export function exactError(error: unknown, name: string): string | undefined {
  return error instanceof ApiError ? error.errors.find((e) => e.pointer === `/${name}`)?.detail : undefined;
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

/** Client-side validation: the same shape as an API problem, so forms show both alike. */
export function invalid(checks: Record<string, string | false | null | undefined>): ApiError | null {
  const errors = Object.entries(checks)
    .filter((e): e is [string, string] => typeof e[1] === "string" && e[1] !== "")
    .map(([name, detail]) => ({ pointer: `/${name}`, detail }));
  return errors.length ? new ApiError(0, "Check the form", "some fields need a change", errors) : null;
}

export interface Paged<T> {
  items: T[] | null;
  error: unknown;
  hasPrevious: boolean;
  hasNext: boolean;
  onPrevious: () => void;
  onNext: () => void;
  reload: () => void;
}

/**
 * One page of a cursor-paginated list. `key` names the query (filters): when it changes, the
 * list starts again at the first page. `load` is read at fetch time, so it may be a new function
 * on every render.
 */
export function usePaged<T>(
  load: (cursor: string | null) => Promise<{ items: T[]; next_cursor?: string | null | undefined }>,
  key: string,
): Paged<T> {
  const [state, setState] = useState<{ key: string; cursors: Cursors; tick: number }>({ key, cursors: firstPage, tick: 0 });
  const [result, setResult] = useState<{ items: T[]; next: string | null } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const loadRef = useRef(load);
  useLayoutEffect(() => {
    loadRef.current = load;
  });
  const cursors = state.key === key ? state.cursors : firstPage;
  const current = cursors.current;
  const tick = state.tick;
  useEffect(() => {
    let live = true;
    loadRef.current(current).then(
      (p) => {
        if (!live) return;
        setError(null);
        setResult({ items: p.items, next: p.next_cursor ?? null });
      },
      (e: unknown) => live && setError(e),
    );
    return () => {
      live = false;
    };
  }, [key, current, tick]);
  return {
    items: result?.items ?? null,
    error,
    hasPrevious: cursors.stack.length > 0,
    hasNext: Boolean(result?.next),
    onPrevious: () => setState({ key, cursors: previousPage(cursors), tick }),
    onNext: () => result?.next && setState({ key, cursors: nextPage(cursors, result.next), tick }),
    reload: () => setState({ key, cursors, tick: tick + 1 }),
  };
}

/** A single resource (or anything) loaded once per `key`; `reload` fetches it again. */
export function useLoad<T>(load: () => Promise<T>, key: string) {
  const [data, setData] = useState<{ key: string; value: T } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  useLayoutEffect(() => {
    loadRef.current = load;
  });
  useEffect(() => {
    let live = true;
    loadRef.current().then(
      (value) => {
        if (!live) return;
        setError(null);
        setData({ key, value });
      },
      (e: unknown) => live && setError(e),
    );
    return () => {
      live = false;
    };
  }, [key, tick]);
  return { data: data?.key === key ? data.value : null, error, reload: () => setTick((t) => t + 1) };
}

/** Runs a form's submit: busy while it runs, the error (API or client-side) kept for the form. */
export function useSubmit() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const run = async (work: () => Promise<void>, check?: ApiError | null) => {
    if (check) {
      setError(check);
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await work();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, setError, run };
}

/** A table that scrolls sideways inside its own box (never the page), reachable by keyboard. */
export function TableWrap({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="table-wrap" role="region" aria-label={label} tabIndex={0}>
      {children}
    </div>
  );
}

/** A list's table with its pager, error and empty row. */
export function PagedTable<T>({
  label,
  paged,
  columns,
  row,
  empty,
  wide,
}: {
  label: string;
  /** Many columns: keep them readable and let the table scroll sideways on small screens. */
  wide?: boolean;
  paged: Paged<T>;
  columns: string[];
  row: (item: T) => ReactNode;
  empty: string;
}) {
  return (
    <>
      <ProblemBanner error={paged.error} />
      {paged.items ? (
        <>
          <TableWrap label={label}>
            <table className={wide ? "wide" : undefined}>
              <thead>
                <tr>
                  {columns.map((c) => (
                    <th scope="col" key={c}>
                      {c}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {paged.items.map(row)}
                {paged.items.length === 0 && (
                  <tr>
                    <td colSpan={columns.length}>{empty}</td>
                  </tr>
                )}
              </tbody>
            </table>
          </TableWrap>
          <Pager hasPrevious={paged.hasPrevious} hasNext={paged.hasNext} onPrevious={paged.onPrevious} onNext={paged.onNext} />
        </>
      ) : (
        !paged.error && <p aria-busy="true">Loading…</p>
      )}
    </>
  );
}

/** Delete with a confirmation step in the page (no window.confirm), and the API's refusal shown. */
export function ConfirmDelete({
  what = "",
  onConfirm,
  label = "Delete",
  question,
  closeAfter = false,
}: {
  what?: string;
  onConfirm: () => Promise<void>;
  label?: string;
  /** The question asked instead of "{label} {what}? This cannot be undone." */
  question?: string;
  /** Close the confirmation after it succeeded (when the page stays). */
  closeAfter?: boolean;
}) {
  const [asking, setAsking] = useState(false);
  const { busy, error, run } = useSubmit();
  const cancelRef = useRef<HTMLButtonElement>(null);
  const askRef = useRef<HTMLButtonElement>(null);
  const wasAsking = useRef(false);
  useEffect(() => {
    if (asking) cancelRef.current?.focus();
    else if (wasAsking.current) askRef.current?.focus();
    wasAsking.current = asking;
  }, [asking]);
  if (!asking) {
    return (
      <button type="button" className="danger" ref={askRef} onClick={() => setAsking(true)}>
        {label}
      </button>
    );
  }
  return (
    <div className="confirm" role="group" aria-label={`Confirm: ${label.toLowerCase()}${what ? ` ${what}` : ""}`}>
      <p>{question ?? `${label} ${what}? This cannot be undone.`}</p>
      <ProblemBanner error={error} />
      <div className="actions">
        <button
          type="button"
          className="danger"
          disabled={busy}
          onClick={() =>
            void run(async () => {
              await onConfirm();
              if (closeAfter) setAsking(false);
            })
          }
        >
          Yes, {label.toLowerCase()}
        </button>
        <button type="button" className="secondary" ref={cancelRef} onClick={() => setAsking(false)}>
          Cancel
        </button>
      </div>
    </div>
  );
}

/** A value shown once (a new secret): kept only in the caller's state. */
export function ShownOnce({ label, value, testId }: { label: string; value: string; testId?: string }) {
  return (
    <div className="once">
      <p>
        <strong>{label}</strong>
      </p>
      <code data-testid={testId}>{value}</code>
      <p className="warning" role="note">
        Copy it now: it is shown only this once and cannot be read again.
      </p>
    </div>
  );
}

export function Saved({ show }: { show: boolean }) {
  return (
    <p role="status" className="saved">
      {show ? "Saved." : ""}
    </p>
  );
}

export function when(iso: string | null | undefined): string {
  if (!iso) return "";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

export function Toggle({ label, checked, onChange, hint }: { label: string; checked: boolean; onChange: (v: boolean) => void; hint?: string }) {
  const id = useId();
  return (
    <div className="field check">
      <label htmlFor={id}>
        <input id={id} type="checkbox" checked={checked} onChange={(e) => onChange(e.target.checked)} /> {label}
      </label>
      {hint && <p className="hint">{hint}</p>}
    </div>
  );
}
