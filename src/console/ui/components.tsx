/**
 * Shared building blocks. Every control has a visible label tied to it (`htmlFor`), a hint and an error joined
 * through `aria-describedby`, and an error marks the control `aria-invalid`, so a screen reader reads what a
 * sighted admin sees. Server errors land on the control whose `data-field` is the path the server names.
 */
import {
  createContext,
  useCallback,
  useContext,
  useEffect,
  useRef,
  useState,
  type ButtonHTMLAttributes,
  type ReactNode,
  type RefObject,
} from 'react';
import { ApiError, describeProblem, messageForField } from '../lib/api';

// ---------------------------------------------------------------------------------------------------------
// Requests

export interface AsyncState<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload(): void;
}

/** Runs `load` now and whenever `deps` change; a late answer to an older call never overwrites a newer one. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): AsyncState<T> {
  const [state, setState] = useState<{ data: T | undefined; error: unknown; loading: boolean }>({ data: undefined, error: null, loading: true });
  const [tick, setTick] = useState(0);
  const seq = useRef(0);
  useEffect(() => {
    const n = ++seq.current;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => n === seq.current && setState({ data, error: null, loading: false }),
      (error: unknown) => n === seq.current && setState((s) => ({ data: s.data, error, loading: false })),
    );
    // `load` is a new closure on every render; the caller's `deps` say when it means something new.
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { ...state, reload };
}

export function Loading({ what }: { what: string }) {
  return (
    <p className="loading" role="status">
      <span className="spinner" aria-hidden="true" /> Loading {what}…
    </p>
  );
}

export function ErrorAlert({ error, title }: { error: unknown; title?: string }) {
  if (!error) return null;
  return (
    <div className="alert alert-error" role="alert">
      {title && <strong>{title} </strong>}
      {describeProblem(error)}
    </div>
  );
}

/** A success message announced politely; the page decides when to clear it. */
export function Notice({ children }: { children: ReactNode }) {
  return (
    <div className="alert alert-ok" role="status">
      {children}
    </div>
  );
}

export function Button({ busy, busyLabel, children, className, ...rest }: ButtonHTMLAttributes<HTMLButtonElement> & { busy?: boolean; busyLabel?: string }) {
  return (
    <button type="button" {...rest} className={className ?? 'btn'} disabled={rest.disabled || busy} aria-busy={busy || undefined}>
      {busy && <span className="spinner" aria-hidden="true" />}
      {busy ? (busyLabel ?? children) : children}
    </button>
  );
}

// ---------------------------------------------------------------------------------------------------------
// Forms and their errors

export type FieldErrors = Record<string, string>;
const FieldErrorsContext = createContext<FieldErrors>({});

export function FieldErrorsProvider({ errors, children }: { errors: FieldErrors; children: ReactNode }) {
  return <FieldErrorsContext.Provider value={errors}>{children}</FieldErrorsContext.Provider>;
}

export function fieldId(field: string): string {
  return `f-${field.replace(/[^A-Za-z0-9]+/g, '-')}`;
}

/** The nearest path, from the server's field up to its ancestors, that a control or section on the form shows. */
export function resolveField(form: HTMLElement, field: string): string | undefined {
  let p = field;
  while (p) {
    if (form.querySelector(`[data-field="${CSS.escape(p)}"]`)) return p;
    const cut = Math.max(p.lastIndexOf('.'), p.lastIndexOf('['));
    if (cut <= 0) return undefined;
    p = p.slice(0, cut);
  }
  return undefined;
}

export interface FormErrorState {
  fields: FieldErrors;
  /** Shown above the form: problems with no control to sit next to, or a pointer to the ones below. */
  general: string | null;
}

export const NO_ERRORS: FormErrorState = { fields: {}, general: null };

/**
 * Turns a failed request into errors next to the controls they concern. `byCode` names a field for errors the
 * server reports without one (a taken name is CONFLICT).
 */
export function formErrorsFrom(form: HTMLElement | null, e: unknown, byCode: Record<string, string> = {}): FormErrorState {
  if (!(e instanceof ApiError)) return { fields: {}, general: describeProblem(e) };
  const fields: FieldErrors = {};
  const loose: string[] = [];
  for (const p of e.problems) {
    const field = p.field ?? byCode[p.code];
    const at = form && field ? resolveField(form, field) : undefined;
    if (at && !fields[at]) fields[at] = messageForField({ message: p.message, field: p.field });
    else loose.push(p.field ? p.message : describeProblem(new ApiError([p])));
  }
  const n = Object.keys(fields).length;
  const general = loose.length > 0 ? loose.join(' ') : n > 0 ? `Tessera refused the form: ${n === 1 ? 'see the field marked below' : `see the ${n} fields marked below`}.` : null;
  return { fields, general };
}

/** After errors appear, move the focus to the first control they mark, so keyboard users land on it. */
export function useFocusFirstError(form: RefObject<HTMLElement | null>, errors: FormErrorState): void {
  useEffect(() => {
    const root = form.current;
    if (!root) return;
    const el = root.querySelector<HTMLElement>('[aria-invalid="true"], .section-invalid [tabindex="-1"]') ?? root.querySelector<HTMLElement>('.alert-error');
    el?.focus();
  }, [errors, form]);
}

export function FormAlert({ errors }: { errors: FormErrorState }) {
  if (!errors.general) return null;
  return (
    <div className="alert alert-error" role="alert" tabIndex={-1}>
      {errors.general}
    </div>
  );
}

interface FieldProps {
  label: ReactNode;
  /** The server's path for this value (`input.saml2.spEntityId`); also gives the control its id. */
  field?: string;
  id?: string;
  hint?: ReactNode;
  required?: boolean;
  className?: string;
}

function useFieldParts(p: FieldProps) {
  const errors = useContext(FieldErrorsContext);
  const id = p.id ?? fieldId(p.field ?? String(p.label));
  const error = p.field ? errors[p.field] : undefined;
  const describedBy = [p.hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined;
  return { id, error, describedBy };
}

function FieldFrame({ p, id, error, children, inline }: { p: FieldProps; id: string; error?: string; children: ReactNode; inline?: boolean }) {
  return (
    <div className={`field${inline ? ' field-inline' : ''}${error ? ' field-invalid' : ''}${p.className ? ` ${p.className}` : ''}`}>
      {inline ? children : null}
      <span className="label-row">
        <label htmlFor={id}>{p.label}</label>
        {/* Outside the label, so the control's name stays the label; screen readers hear "required" from aria-required. */}
        {p.required && (
          <span className="req" aria-hidden="true">
            *
          </span>
        )}
      </span>
      {inline ? null : children}
      {p.hint && (
        <p className="hint" id={`${id}-hint`}>
          {p.hint}
        </p>
      )}
      {error && (
        <p className="field-error" id={`${id}-error`}>
          <span aria-hidden="true">⚠ </span>
          {error}
        </p>
      )}
    </div>
  );
}

export function TextField(
  p: FieldProps & { value: string; onChange(v: string): void; type?: string; placeholder?: string; autoComplete?: string; readOnly?: boolean; inputMode?: 'numeric' | 'text' | 'url'; list?: string; autoFocus?: boolean; spellCheck?: boolean },
) {
  const { id, error, describedBy } = useFieldParts(p);
  return (
    <FieldFrame p={p} id={id} error={error}>
      <input
        id={id}
        data-field={p.field}
        type={p.type ?? 'text'}
        value={p.value}
        onChange={(e) => p.onChange(e.target.value)}
        placeholder={p.placeholder}
        autoComplete={p.autoComplete ?? 'off'}
        readOnly={p.readOnly}
        inputMode={p.inputMode}
        list={p.list}
        autoFocus={p.autoFocus}
        spellCheck={p.spellCheck ?? false}
        aria-invalid={error ? true : undefined}
        aria-required={p.required || undefined}
        aria-describedby={describedBy}
      />
    </FieldFrame>
  );
}

export function TextArea(p: FieldProps & { value: string; onChange(v: string): void; rows?: number; placeholder?: string; readOnly?: boolean; mono?: boolean }) {
  const { id, error, describedBy } = useFieldParts(p);
  return (
    <FieldFrame p={p} id={id} error={error}>
      <textarea
        id={id}
        data-field={p.field}
        className={p.mono === false ? undefined : 'mono'}
        rows={p.rows ?? 4}
        value={p.value}
        onChange={(e) => p.onChange(e.target.value)}
        placeholder={p.placeholder}
        readOnly={p.readOnly}
        spellCheck={false}
        aria-invalid={error ? true : undefined}
        aria-required={p.required || undefined}
        aria-describedby={describedBy}
      />
    </FieldFrame>
  );
}

export interface Option {
  value: string;
  label: string;
}

export function SelectField(p: FieldProps & { value: string; onChange(v: string): void; options: Option[] }) {
  const { id, error, describedBy } = useFieldParts(p);
  return (
    <FieldFrame p={p} id={id} error={error}>
      <select
        id={id}
        data-field={p.field}
        value={p.value}
        onChange={(e) => p.onChange(e.target.value)}
        aria-invalid={error ? true : undefined}
        aria-required={p.required || undefined}
        aria-describedby={describedBy}
      >
        {p.options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </FieldFrame>
  );
}

export function Checkbox(p: FieldProps & { checked: boolean; onChange(v: boolean): void }) {
  const { id, error, describedBy } = useFieldParts(p);
  return (
    <FieldFrame p={p} id={id} error={error} inline>
      <input
        id={id}
        data-field={p.field}
        type="checkbox"
        checked={p.checked}
        onChange={(e) => p.onChange(e.target.checked)}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy}
      />
    </FieldFrame>
  );
}

/** A fieldset that can carry the server's error for the whole section (`input.oidcTrust: must list…`). */
export function Section({ title, field, id, children, intro, sub }: { title: string; field?: string; id?: string; children: ReactNode; intro?: ReactNode; sub?: boolean }) {
  const errors = useContext(FieldErrorsContext);
  const error = field ? errors[field] : undefined;
  const sid = id ?? (field ? fieldId(field) : undefined);
  return (
    <fieldset className={`${sub ? 'subsection' : 'section'}${error ? ' section-invalid' : ''}`} data-field={field} id={sid} aria-describedby={error && sid ? `${sid}-error` : undefined}>
      <legend>{title}</legend>
      {intro && <p className="hint">{intro}</p>}
      {error && (
        <p className="field-error" id={`${sid}-error`} tabIndex={-1}>
          <span aria-hidden="true">⚠ </span>
          {error}
        </p>
      )}
      {children}
    </fieldset>
  );
}

// ---------------------------------------------------------------------------------------------------------
// Dialogs: the native <dialog> in modal mode keeps the focus inside and closes on Escape.

export function Dialog({ open, title, onClose, children, wide }: { open: boolean; title: string; onClose(): void; children: ReactNode; wide?: boolean }) {
  const ref = useRef<HTMLDialogElement>(null);
  const opener = useRef<Element | null>(null);
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) {
      opener.current = document.activeElement;
      d.showModal();
    } else if (!open && d.open) {
      d.close();
    }
  }, [open]);
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    const closed = () => {
      onClose();
      // Back to the control that opened the dialog, as the WAI-ARIA dialog pattern asks.
      // When the opener went away with what the dialog deleted, the page's heading takes the focus instead.
      if (opener.current instanceof HTMLElement && opener.current.isConnected) opener.current.focus();
      else document.querySelector<HTMLElement>('main h1')?.focus();
    };
    d.addEventListener('close', closed);
    return () => d.removeEventListener('close', closed);
  }, [onClose]);
  const titleId = `dlg-${title.replace(/[^A-Za-z0-9]+/g, '-')}`;
  return (
    <dialog ref={ref} className={wide ? 'dialog dialog-wide' : 'dialog'} aria-labelledby={titleId}>
      {open && (
        <>
          <h2 id={titleId}>{title}</h2>
          {children}
        </>
      )}
    </dialog>
  );
}

export function ConfirmDialog({
  open,
  title,
  children,
  confirmLabel,
  busyLabel,
  onConfirm,
  onClose,
}: {
  open: boolean;
  title: string;
  children: ReactNode;
  confirmLabel: string;
  busyLabel: string;
  onConfirm(): Promise<void>;
  onClose(): void;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    if (open) setError(null);
  }, [open]);
  async function confirm() {
    setBusy(true);
    setError(null);
    try {
      await onConfirm();
      onClose();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }
  return (
    <Dialog open={open} title={title} onClose={onClose}>
      <div className="dialog-body">{children}</div>
      <ErrorAlert error={error} />
      <div className="actions">
        <Button className="btn btn-danger" busy={busy} busyLabel={busyLabel} onClick={confirm}>
          {confirmLabel}
        </Button>
        <Button className="btn btn-secondary" onClick={onClose} disabled={busy} autoFocus>
          Keep it
        </Button>
      </div>
    </Dialog>
  );
}

// ---------------------------------------------------------------------------------------------------------
// Small views

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });

export function Time({ value }: { value: string | null | undefined }) {
  if (!value) return <span className="muted">—</span>;
  const d = new Date(value);
  return (
    <time dateTime={d.toISOString()} title={d.toISOString()}>
      {dateFormat.format(d)}
    </time>
  );
}

export function Badge({ tone, children }: { tone: 'ok' | 'warn' | 'bad' | 'info' | 'muted'; children: ReactNode }) {
  return <span className={`badge badge-${tone}`}>{children}</span>;
}

/** Copies text and says so; the text stays visible and selectable for browsers that refuse the clipboard. */
export function CopyButton({ text, label }: { text: string; label: string }) {
  const [state, setState] = useState<'idle' | 'done' | 'failed'>('idle');
  async function copy() {
    try {
      await navigator.clipboard.writeText(text);
      setState('done');
    } catch {
      setState('failed');
    }
    setTimeout(() => setState('idle'), 2500);
  }
  return (
    <>
      <Button className="btn btn-secondary" onClick={copy}>
        {label}
      </Button>
      <span className="copy-state" role="status">
        {state === 'done' ? 'Copied.' : state === 'failed' ? 'The browser refused the clipboard: select the text and copy it.' : ''}
      </span>
    </>
  );
}

export function splitList(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean);
}

/**
 * The console's list table: a caption for screen readers, one column header per name, an unlabelled-looking
 * (screen-reader-only) "Actions" column when the rows have buttons, and aria-busy while the list reloads.
 */
export function DataTable({ caption, columns, actions, busy, children }: { caption: string; columns: readonly string[]; actions?: boolean; busy?: boolean; children: ReactNode }) {
  return (
    <div className="table-wrap" aria-busy={busy}>
      <table className="table">
        <caption className="sr-only">{caption}</caption>
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c} scope="col">
                {c}
              </th>
            ))}
            {actions && (
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            )}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}
