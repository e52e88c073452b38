import type { CreatedKey } from "../../../api/types";
import { CopyField } from "../../../components/CopyField";
import { Dialog } from "../../../components/Dialog";

/** Shows a new key's secret the one time the server sends it, with a copy button. */
export function KeyCreatedDialog({ created, onClose }: { created: CreatedKey; onClose: () => void }) {
  return (
    <Dialog
      title={`API key ${created.name} created`}
      onClose={onClose}
      footer={
        <button type="button" className="btn primary" onClick={onClose}>
          I saved it, close
        </button>
      }
    >
      <div className="notice warn" role="note">
        <strong>Copy this key now: you won't see it again.</strong>
        <span>Promptyard keeps only a hash of it. If it is lost, revoke it and create a new one.</span>
      </div>
      <CopyField
        label="Your new API key"
        value={created.key}
        copyLabel="Copy key"
        what="the key"
        testId="new-key"
        autoFocus
      />
      {created.public_key && (
        <p>
          Public key: <code>{created.public_key}</code>
        </p>
      )}
      <p className="hint">
        Role <strong>{created.role}</strong>, {created.project ? <>project <strong>{created.project}</strong></> : "every project"}
        {created.expires_at ? `, expires ${created.expires_at.slice(0, 10)}` : ", never expires"}. Send it as{" "}
        <code>Authorization: Bearer …</code>.
      </p>
    </Dialog>
  );
}
