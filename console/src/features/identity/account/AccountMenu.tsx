import { useEffect, useId, useRef, useState, type FormEvent } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useNavigate } from "react-router";
import { auth } from "../../../api/endpoints";
import { useMe } from "../useMe";
import { Dialog } from "../../../components/Dialog";
import { ErrorMessage } from "../../../components/ErrorMessage";
import { LAST_PROJECT_KEY } from "../projects/ProjectSwitcher";
import { identityQueries } from "../queries";

/** The signed-in actor's name; opens change password and switch workspace. */
export function AccountMenu() {
  const me = useMe();
  const id = useId();
  const [open, setOpen] = useState(false);
  const [changing, setChanging] = useState(false);
  const ref = useRef<HTMLDivElement>(null);
  const isUser = me.data?.actor.type === "user";
  const workspaces = useQuery({
    ...identityQueries.workspaces(),
    enabled: open && isUser,
    staleTime: 60_000,
  });
  const client = useQueryClient();
  const navigate = useNavigate();
  const switchTo = useMutation({
    mutationFn: (slug: string) => auth.switchWorkspace(slug),
    onSuccess: () => {
      client.clear();
      localStorage.setItem(LAST_PROJECT_KEY, "default");
      setOpen(false);
      navigate("/p/default");
    },
  });

  useEffect(() => {
    if (!open) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape") setOpen(false);
    };
    const onClick = (e: MouseEvent) => {
      if (ref.current && !ref.current.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener("keydown", onKey);
    document.addEventListener("mousedown", onClick);
    return () => {
      document.removeEventListener("keydown", onKey);
      document.removeEventListener("mousedown", onClick);
    };
  }, [open]);

  const others = (workspaces.data?.items ?? []).filter((w) => !w.current);
  return (
    <div className="account-menu" ref={ref}>
      <button
        type="button"
        className="btn small link account-button"
        aria-expanded={open}
        aria-controls={`${id}-menu`}
        onClick={() => setOpen((o) => !o)}
      >
        <span className="who-name">{me.data?.actor.name ?? "Account"}</span>
        <span className="sr-only"> (account menu)</span>
      </button>
      {open && (
        <div className="account-popup panel" id={`${id}-menu`}>
          <p className="muted">
            Role <strong>{me.data?.actor.role}</strong> in <strong>{me.data?.workspace.name}</strong>
          </p>
          {isUser ? (
            <button type="button" className="btn small block" onClick={() => { setOpen(false); setChanging(true); }}>
              Change password…
            </button>
          ) : (
            <p className="hint">Signed in with an API key: no password to change.</p>
          )}
          {others.length > 0 && (
            <div className="stack">
              <h2 className="small-title">Switch workspace</h2>
              {others.map((w) => (
                <button
                  key={w.slug}
                  type="button"
                  className="btn small block"
                  disabled={switchTo.isPending}
                  onClick={() => switchTo.mutate(w.slug)}
                >
                  {w.name} <span className="muted">({w.role})</span>
                </button>
              ))}
            </div>
          )}
          {switchTo.error ? <ErrorMessage error={switchTo.error} title="Could not switch." /> : null}
        </div>
      )}
      {changing && <ChangePasswordDialog onClose={() => setChanging(false)} />}
    </div>
  );
}

function ChangePasswordDialog({ onClose }: { onClose: () => void }) {
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [repeat, setRepeat] = useState("");
  const change = useMutation({
    mutationFn: () => auth.changePassword({ current_password: current, new_password: next }),
  });
  const mismatch = repeat !== "" && repeat !== next;
  function submit(event: FormEvent) {
    event.preventDefault();
    if (!mismatch) change.mutate();
  }
  if (change.isSuccess) {
    return (
      <Dialog
        title="Password changed"
        onClose={onClose}
        footer={
          <button type="button" className="btn primary" onClick={onClose} data-autofocus>
            Done
          </button>
        }
      >
        <p role="status">Your password was changed. Your other sessions were signed out.</p>
      </Dialog>
    );
  }
  return (
    <Dialog title="Change password" onClose={onClose}>
      <form className="stack" onSubmit={submit}>
        <label className="field">
          <span>Current password</span>
          <input type="password" autoComplete="current-password" required value={current} onChange={(e) => setCurrent(e.target.value)} />
        </label>
        <label className="field">
          <span>New password</span>
          <input type="password" autoComplete="new-password" required minLength={10} value={next} onChange={(e) => setNext(e.target.value)} aria-describedby="new-password-hint" />
        </label>
        <p id="new-password-hint" className="hint">At least 10 characters.</p>
        <label className="field">
          <span>Repeat the new password</span>
          <input type="password" autoComplete="new-password" required value={repeat} onChange={(e) => setRepeat(e.target.value)} aria-invalid={mismatch || undefined} aria-describedby="repeat-password-error" />
        </label>
        <p id="repeat-password-error" className={mismatch ? "field-error" : "sr-only"}>
          {mismatch ? "The two new passwords differ." : ""}
        </p>
        {change.error ? <ErrorMessage error={change.error} title="Could not change the password." /> : null}
        <div className="row end">
          <button type="button" className="btn" onClick={onClose}>Cancel</button>
          <button type="submit" className="btn primary" disabled={change.isPending || mismatch}>Change password</button>
        </div>
      </form>
    </Dialog>
  );
}
