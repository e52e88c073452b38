import { useRef, useState } from "react";
import type { CreatedKey } from "../../api/types";
import { Dialog } from "../../components/Dialog";

/** Shows a new key's secret the one time the server sends it, with a copy button. */
export function KeyCreatedDialog({ created, onClose }: { created: CreatedKey; onClose: () => void }) {
  const [copied, setCopied] = useState<"" | "ok" | "failed">("");
  const input = useRef<HTMLInputElement>(null);
  async function copy() {
    try {
      await navigator.clipboard.writeText(created.key);
      setCopied("ok");
    } catch {
      input.current?.select();
      setCopied("failed");
    }
  }
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
      <label className="field">
        <span>Your new API key</span>
        <input
          ref={input}
          className="secret"
          readOnly
          value={created.key}
          onFocus={(e) => e.currentTarget.select()}
          data-testid="new-key"
        />
      </label>
      {created.public_key && (
        <p>
          Public key: <code>{created.public_key}</code>
        </p>
      )}
      <div className="row">
        <button type="button" className="btn" onClick={() => void copy()} data-autofocus>
          Copy key
        </button>
        <span role="status" className={copied === "failed" ? "field-error" : "muted"}>
          {copied === "ok" ? "Copied to the clipboard." : copied === "failed" ? "Could not copy: the key is selected, press Ctrl+C." : ""}
        </span>
      </div>
      <p className="hint">
        Role <strong>{created.role}</strong>, {created.project ? <>project <strong>{created.project}</strong></> : "every project"}
        {created.expires_at ? `, expires ${created.expires_at.slice(0, 10)}` : ", never expires"}. Send it as{" "}
        <code>Authorization: Bearer …</code>.
      </p>
    </Dialog>
  );
}
