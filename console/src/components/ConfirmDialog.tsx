import type { ReactNode } from "react";
import { Dialog } from "./Dialog";
import { ErrorMessage } from "./ErrorMessage";

interface Props {
  title: string;
  children: ReactNode;
  confirmLabel: string;
  onConfirm: () => void;
  onCancel: () => void;
  busy?: boolean;
  danger?: boolean;
  error?: unknown;
}

/** The confirm step before anything that moves a label, rolls back or deletes. */
export function ConfirmDialog(props: Props) {
  const { title, children, confirmLabel, onConfirm, onCancel, busy, danger, error } = props;
  return (
    <Dialog
      title={title}
      onClose={onCancel}
      role="alertdialog"
      footer={
        <>
          <button type="button" className="btn" onClick={onCancel}>
            Cancel
          </button>
          <button
            type="button"
            className={danger ? "btn danger" : "btn primary"}
            onClick={onConfirm}
            disabled={busy}
            data-autofocus
          >
            {busy ? "Working…" : confirmLabel}
          </button>
        </>
      }
    >
      {children}
      {error ? <ErrorMessage error={error} /> : null}
    </Dialog>
  );
}
