import { useId, useState, type FormEvent, type ReactNode } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { Dialog } from "../../../components/Dialog";
import { ErrorMessage } from "../../../components/ErrorMessage";
import { providers, type Connection } from "../api";
import { runtimeKeys } from "../queries";
import { createBody, formFrom, KNOWN_KINDS, updateBody, type ConnectionForm, type FormErrors } from "./connectionForm";

interface Props {
  /** The connection to edit, or null to add one. */
  connection: Connection | null;
  onClose: () => void;
  onSaved: (connection: Connection, created: boolean) => void;
}

/** Add a provider connection, or change one. The key field is write-only. */
export function ConnectionDialog({ connection, onClose, onSaved }: Props) {
  const id = useId();
  const [form, setForm] = useState<ConnectionForm>(() => formFrom(connection));
  const [errors, setErrors] = useState<FormErrors>({});
  const client = useQueryClient();
  const save = useMutation({
    mutationFn: async (): Promise<Connection | null> => {
      if (connection) {
        const { body, errors: found } = updateBody(form, connection);
        setErrors(found);
        if (!body) return null;
        if (Object.keys(body).length === 0) return connection;
        return providers.update(connection.name, body);
      }
      const { body, errors: found } = createBody(form);
      setErrors(found);
      return body ? providers.create(body) : null;
    },
    onSuccess: async (saved) => {
      if (!saved) return;
      await client.invalidateQueries({ queryKey: runtimeKeys.connections });
      client.removeQueries({ queryKey: runtimeKeys.models(saved.name) });
      onSaved(saved, connection === null);
    },
  });
  const set = (patch: Partial<ConnectionForm>) => setForm({ ...form, ...patch });
  function submit(event: FormEvent) {
    event.preventDefault();
    save.mutate();
  }

  const field = (name: keyof ConnectionForm, label: string, input: ReactNode, hint?: string) => {
    const error = errors[name];
    return (
      <div className="field conn-field">
        <label htmlFor={`${id}-${name}`}>{label}</label>
        {input}
        {hint && (
          <p id={`${id}-${name}-hint`} className="hint">
            {hint}
          </p>
        )}
        {error && (
          <p id={`${id}-${name}-error`} className="field-error">
            {error}
          </p>
        )}
      </div>
    );
  };
  const describe = (name: keyof ConnectionForm, hint: boolean) =>
    [hint ? `${id}-${name}-hint` : "", errors[name] ? `${id}-${name}-error` : ""].filter(Boolean).join(" ") || undefined;
  const text = (name: Exclude<keyof ConnectionForm, "clear_key">, extra: Record<string, unknown> = {}, hint = false) => (
    <input
      id={`${id}-${name}`}
      value={form[name]}
      onChange={(e) => set({ [name]: e.target.value })}
      aria-invalid={errors[name] ? true : undefined}
      aria-describedby={describe(name, hint)}
      {...extra}
    />
  );
  const area = (name: "default_params" | "options", hint: boolean) => (
    <textarea
      id={`${id}-${name}`}
      rows={3}
      value={form[name]}
      onChange={(e) => set({ [name]: e.target.value })}
      aria-invalid={errors[name] ? true : undefined}
      aria-describedby={describe(name, hint)}
      spellCheck={false}
    />
  );

  const keyHint = connection
    ? connection.api_key_set
      ? `A key is stored (${connection.api_key_hint ?? "masked"}). Leave this empty to keep it.`
      : "No key is stored."
    : "Stored encrypted; never shown again, only masked.";

  return (
    <Dialog title={connection ? `Edit connection ${connection.name}` : "Add a provider connection"} onClose={onClose} wide>
      <form className="stack" onSubmit={submit} noValidate>
        <div className="details-grid">
          {connection ? (
            <p>
              <strong>{connection.name}</strong> <span className="badge">{connection.kind}</span>
            </p>
          ) : (
            <>
              {field("name", "Name", text("name", { required: true, autoComplete: "off", placeholder: "e.g. openai" }, true), "Used in model ids: name/model.")}
              {field(
                "kind",
                "Kind",
                <>
                  {text("kind", { required: true, list: `${id}-kinds`, autoComplete: "off" })}
                  <datalist id={`${id}-kinds`}>
                    {KNOWN_KINDS.map((k) => (
                      <option key={k} value={k} />
                    ))}
                  </datalist>
                </>,
              )}
            </>
          )}
          {field("base_url", "Base URL (optional)", text("base_url", { type: "url", placeholder: "the kind's default" }))}
          {field(
            "api_key",
            connection ? "New API key" : "API key",
            text("api_key", { type: "password", autoComplete: "new-password", disabled: form.clear_key }, true),
            keyHint,
          )}
        </div>
        {connection?.api_key_set && (
          <label className="inline-field">
            <input type="checkbox" checked={form.clear_key} onChange={(e) => set({ clear_key: e.target.checked, api_key: "" })} />
            Remove the stored key
          </label>
        )}
        {field("models", "Models", text("models", { placeholder: "gpt-4o, gpt-4o-mini" }, true), "Comma or space separated; offered when the provider cannot list its own.")}
        <div className="details-grid">
          {field("max_concurrency", "Concurrency limit", text("max_concurrency", { inputMode: "numeric", placeholder: "8" }, true), "Calls in flight at once, 1–256.")}
          {field("timeout_seconds", "Timeout (seconds)", text("timeout_seconds", { inputMode: "decimal", placeholder: "60" }, true), "Per call, up to 600.")}
        </div>
        {field("default_params", "Default parameters (JSON)", area("default_params", true), 'Every call starts from these, e.g. {"temperature": 0.2}.')}
        {field("options", "Options (JSON)", area("options", true), "Kind-specific settings (headers, api_version…); header values show masked.")}
        {Object.keys(errors).length > 0 && (
          <p className="field-error" role="alert">
            Check the fields marked above.
          </p>
        )}
        {save.error ? (
          <ErrorMessage error={save.error} title={connection ? "Could not save the connection." : "Could not add the connection."} />
        ) : null}
        <div className="row end">
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="btn primary" disabled={save.isPending}>
            {connection ? "Save connection" : "Add connection"}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
