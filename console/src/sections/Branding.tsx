// The organization's branding: the theme of its hosted pages (docs/branding.md), with a live
// preview styled through CSS custom properties set by React (CSSOM: no inline style attribute).
import { useState, type CSSProperties } from "react";
import type { Theme } from "../api/client";
import { ConfirmDelete, Field, ProblemBanner, fieldError, invalid, useLoad } from "../components";
import { useConsole } from "../context";
import { CreatePage, ResourceForm, useForm } from "./common";

type ColorName = "primary_color" | "primary_text_color" | "background_color" | "surface_color" | "text_color" | "muted_color" | "border_color";
type Font = NonNullable<Theme["font"]>;

/** The theme's colors, their CSS variables in templates/base.html and the defaults there. */
export const COLORS: { name: ColorName; label: string; variable: string; fallback: string }[] = [
  { name: "primary_color", label: "Primary color", variable: "--identra-primary", fallback: "#1f5fbf" },
  { name: "primary_text_color", label: "Text on primary", variable: "--identra-primary-text", fallback: "#ffffff" },
  { name: "background_color", label: "Page background", variable: "--identra-bg", fallback: "#f4f5f7" },
  { name: "surface_color", label: "Card background", variable: "--identra-surface", fallback: "#ffffff" },
  { name: "text_color", label: "Text color", variable: "--identra-text", fallback: "#1b1f24" },
  { name: "muted_color", label: "Muted text", variable: "--identra-muted", fallback: "#57606a" },
  { name: "border_color", label: "Border color", variable: "--identra-border", fallback: "#c9ced6" },
];
const FONTS: Record<Font, [label: string, stack: string]> = {
  system: ["System", 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif'],
  serif: ["Serif", 'Georgia, "Times New Roman", serif'],
  humanist: ["Humanist", '"Gill Sans", "Trebuchet MS", Calibri, sans-serif'],
  mono: ["Monospace", 'ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace'],
};
const RADIUS = 8;
const COLOR = /^#[0-9a-fA-F]{6}$/;
const DATA_LOGO = /^data:image\/(png|jpeg|gif|webp);base64,[A-Za-z0-9+/]+={0,2}$/;
const MAX_LOGO = 96 * 1024;

type Values = Record<ColorName | "display_name" | "logo_url" | "radius_px" | "font", string>;

function valuesOf(theme: Theme): Values {
  const v = {} as Values;
  for (const c of COLORS) v[c.name] = theme[c.name] ?? "";
  v.display_name = theme.display_name ?? "";
  v.logo_url = theme.logo_url ?? "";
  v.radius_px = theme.radius_px === null || theme.radius_px === undefined ? "" : String(theme.radius_px);
  v.font = theme.font ?? "";
  return v;
}

function logoProblem(url: string): string | false {
  if (url.length > MAX_LOGO) return "At most 96 KiB.";
  if (url.startsWith("data:")) return !DATA_LOGO.test(url) && "A base64 data: URL of a PNG, JPEG, GIF or WebP image (no SVG).";
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return "An https URL, or a data: URL of an image.";
  }
  if (u.protocol !== "https:" || !u.hostname || u.username || u.password) return "An https URL without credentials, or a data: URL of an image.";
  return /["'<>\\\s()]/.test(url) && "A URL without quotes, spaces, brackets or backslashes.";
}

/** The same rules as the server (identra.branding.theme), so most mistakes are caught before sending. */
export function checkTheme(v: Values) {
  const radius = v.radius_px.trim();
  const checks: Record<string, string | false> = {
    display_name:
      v.display_name.length > 100 ? "At most 100 characters." : /[\x00-\x1f]/.test(v.display_name) && "No control characters.", // eslint-disable-line no-control-regex
    logo_url: v.logo_url.trim() !== "" && logoProblem(v.logo_url.trim()),
    radius_px: radius !== "" && (!/^\d+$/.test(radius) || Number(radius) > 24) && "A whole number from 0 to 24.",
  };
  for (const c of COLORS) checks[c.name] = v[c.name].trim() !== "" && !COLOR.test(v[c.name].trim()) && "A color like #1f5fbf.";
  return invalid(checks);
}

function bodyOf(v: Values): Theme {
  const text = (s: string) => (s.trim() === "" ? null : s.trim());
  const body: Theme = {
    display_name: text(v.display_name),
    logo_url: text(v.logo_url),
    radius_px: v.radius_px.trim() === "" ? null : Number(v.radius_px.trim()),
    font: v.font === "" ? null : (v.font as Font),
  };
  for (const c of COLORS) body[c.name] = text(v[c.name]);
  return body;
}

export function Branding() {
  const { api, org } = useConsole();
  const loaded = useLoad(() => api.call("/api/v1/orgs/{org}/branding", "get", { path: { org } }), org);
  return (
    <CreatePage titleId="branding-title" title="Branding">
      <p className="muted">The look of this organization's hosted pages (sign-in, consent, registration, recovery, My Account). Empty fields keep the default.</p>
      <ProblemBanner error={loaded.error} />
      {loaded.data ? <BrandingForm theme={loaded.data} /> : !loaded.error && <p aria-busy="true">Loading…</p>}
    </CreatePage>
  );
}

/** The hosted login page of organization `org`: the root organization's has no /o/{handle}. */
export function loginPage(issuer: string, org: string, root: boolean): string {
  return `${issuer.replace(/\/+$/, "")}${root ? "" : `/o/${encodeURIComponent(org)}`}/device`;
}

function BrandingForm({ theme }: { theme: Theme }) {
  const { api, org } = useConsole();
  const [values, setValues] = useState<Values>(() => valuesOf(theme));
  const [reset, setReset] = useState(false);
  const state = useForm();
  const set = (name: keyof Values, value: string) => {
    setReset(false);
    setValues({ ...values, [name]: value });
  };
  const submit = () =>
    void state.run(async () => {
      const saved = await api.call("/api/v1/orgs/{org}/branding", "put", { path: { org }, body: bodyOf(values) });
      setValues(valuesOf(saved));
      state.setSaved(true);
    }, checkTheme(values));
  const error = state.error;
  return (
    <div className="branding">
      <ResourceForm label="Branding" editing state={state} onSubmit={submit}>
        <Field label="Display name" hint="Shown next to the logo at the top of every page." error={fieldError(error, "display_name")}>
          {(p) => <input {...p} value={values.display_name} onChange={(e) => set("display_name", e.target.value)} />}
        </Field>
        <Field label="Logo URL" hint="An https URL, or a data: URL of a PNG, JPEG, GIF or WebP image (at most 96 KiB)." error={fieldError(error, "logo_url")}>
          {(p) => <input {...p} type="url" value={values.logo_url} onChange={(e) => set("logo_url", e.target.value)} />}
        </Field>
        <fieldset>
          <legend>Colors</legend>
          {COLORS.map((c) => (
            <ColorField key={c.name} label={c.label} fallback={c.fallback} value={values[c.name]} onChange={(v) => set(c.name, v)} error={fieldError(error, c.name)} />
          ))}
        </fieldset>
        <Field label="Corner radius (pixels)" hint={`0 to 24; empty: ${RADIUS}.`} error={fieldError(error, "radius_px")}>
          {(p) => <input {...p} inputMode="numeric" value={values.radius_px} onChange={(e) => set("radius_px", e.target.value)} />}
        </Field>
        <Field label="Font" error={fieldError(error, "font")}>
          {(p) => (
            <select {...p} value={values.font} onChange={(e) => set("font", e.target.value)}>
              <option value="">Default (system)</option>
              {Object.entries(FONTS).map(([name, [label]]) => (
                <option key={name} value={name}>
                  {label}
                </option>
              ))}
            </select>
          )}
        </Field>
      </ResourceForm>
      <Preview values={values} />
      <h2>Reset</h2>
      <ConfirmDelete
        label="Reset to default"
        question="Reset this organization's pages to the default look? The colors, logo and name set here are removed."
        closeAfter
        onConfirm={async () => {
          await api.call("/api/v1/orgs/{org}/branding", "delete", { path: { org } });
          setValues(valuesOf({}));
          state.setSaved(false);
          setReset(true);
        }}
      />
      <p role="status" className="saved">
        {reset ? "Back to the default look." : ""}
      </p>
    </div>
  );
}

function ColorField({ label, fallback, value, onChange, error }: { label: string; fallback: string; value: string; onChange: (v: string) => void; error?: string | undefined }) {
  const shown = COLOR.test(value.trim()) ? value.trim().toLowerCase() : fallback;
  return (
    <Field label={label} hint={`#rrggbb; empty: the default (${fallback}).`} error={error}>
      {(p) => (
        <div className="color-input">
          <input type="color" aria-label={`${label} (picker)`} value={shown} onChange={(e) => onChange(e.target.value)} />
          <input {...p} value={value} placeholder={fallback} spellCheck={false} onChange={(e) => onChange(e.target.value)} />
        </div>
      )}
    </Field>
  );
}

/** A mock sign-in card with the chosen values (invalid or empty ones show the default). */
function Preview({ values }: { values: Values }) {
  const { api, org, issuer } = useConsole();
  const about = useLoad(() => api.call("/api/v1/orgs/{org}", "get", { path: { org } }), org);
  const vars: Record<string, string> = {};
  for (const c of COLORS) {
    const v = values[c.name].trim();
    vars[c.variable] = COLOR.test(v) ? v : c.fallback;
  }
  const radius = values.radius_px.trim();
  vars["--identra-radius"] = `${/^\d+$/.test(radius) && Number(radius) <= 24 ? Number(radius) : RADIUS}px`;
  vars["--identra-font"] = FONTS[(values.font || "system") as Font][1];
  const logo = values.logo_url.trim();
  const name = values.display_name.trim();
  return (
    <section aria-labelledby="preview-title" className="brand-preview-section">
      <h2 id="preview-title">Preview</h2>
      <div className="brand-preview" style={vars as CSSProperties} data-testid="brand-preview">
        <div className="brand-card">
          {(logo || name) && (
            <p className="brand-head">
              {DATA_LOGO.test(logo) && <img src={logo} alt="" className="brand-logo" />}
              {name && <span className="brand-name">{name}</span>}
            </p>
          )}
          <p className="brand-heading">Sign in</p>
          <p className="brand-muted">Enter your username to continue.</p>
          <p className="brand-label">Username</p>
          <div className="brand-input" />
          <span className="brand-button">Continue</span>
        </div>
      </div>
      <p>
        <a href={loginPage(issuer ?? window.location.origin, org, about.data?.parent === null)} target="_blank" rel="noopener noreferrer">
          Open the real login page<span className="sr-only"> (opens in a new tab)</span>
        </a>
      </p>
    </section>
  );
}
