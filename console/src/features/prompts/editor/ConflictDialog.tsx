import { Dialog } from "../../../components/Dialog";

interface Props {
  message: string;
  baseVersion: number;
  currentVersion: number | null;
  busy: boolean;
  onOverwrite: () => void;
  onReload: () => void;
  onCancel: () => void;
  historyHref: string;
}

/** Shown when a save is refused because someone saved a newer version meanwhile (409 stale_version). */
export function ConflictDialog(props: Props) {
  const { message, baseVersion, currentVersion, busy, onOverwrite, onReload, onCancel, historyHref } = props;
  const theirs = currentVersion ?? "a newer version";
  return (
    <Dialog
      title="Someone saved this prompt while you were editing"
      role="alertdialog"
      onClose={onCancel}
      footer={
        <>
          {/* The safe choice has the focus: Enter on an unread dialog loses nothing. */}
          <button type="button" className="btn" onClick={onCancel} data-autofocus>
            Keep editing
          </button>
          <button type="button" className="btn" onClick={onReload}>
            Discard mine, load version {theirs}
          </button>
          <button type="button" className="btn primary" onClick={onOverwrite} disabled={busy}>
            Save mine on top of version {theirs}
          </button>
        </>
      }
    >
      <p>
        You started from <strong>version {baseVersion}</strong>, but the prompt is now at{" "}
        <strong>version {theirs}</strong>. Nothing was saved, and your changes are still here.
      </p>
      <p className="muted">{message}</p>
      <ul>
        <li>
          <strong>Save mine on top</strong> makes a new version from your text. Their version stays
          in the history.
        </li>
        <li>
          <strong>Discard mine</strong> throws your changes away and loads their version.
        </li>
        <li>
          <a href={historyHref} target="_blank" rel="noreferrer">
            Compare versions {baseVersion} and {theirs} in a new tab
          </a>
          .
        </li>
      </ul>
    </Dialog>
  );
}
