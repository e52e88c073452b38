import { useRef, useState } from "react";

interface Props {
  /** The field's visible label. */
  label: string;
  value: string;
  /** The copy button's text, e.g. "Copy key". */
  copyLabel: string;
  /** What is copied, in the manual-copy hint: "the key is selected, press Ctrl+C". */
  what: string;
  testId?: string;
  /** Give the copy button the dialog's first focus. */
  autoFocus?: boolean;
}

/** A read-only secret (a key, a token, a link) with a copy button; when the clipboard
 * is refused the text is selected for a manual copy. */
export function CopyField({ label, value, copyLabel, what, testId, autoFocus }: Props) {
  const [copied, setCopied] = useState<"" | "ok" | "failed">("");
  const input = useRef<HTMLInputElement>(null);
  async function copy() {
    try {
      await navigator.clipboard.writeText(value);
      setCopied("ok");
    } catch {
      input.current?.select();
      setCopied("failed");
    }
  }
  return (
    <div className="stack">
      <label className="field">
        <span>{label}</span>
        <input
          ref={input}
          className="secret"
          readOnly
          value={value}
          onFocus={(e) => e.currentTarget.select()}
          data-testid={testId}
        />
      </label>
      <div className="row">
        <button type="button" className="btn" onClick={() => void copy()} data-autofocus={autoFocus || undefined}>
          {copyLabel}
        </button>
        <span role="status" className={copied === "failed" ? "field-error" : "muted"}>
          {copied === "ok"
            ? "Copied to the clipboard."
            : copied === "failed"
              ? `Could not copy: ${what} is selected, press Ctrl+C.`
              : ""}
        </span>
      </div>
    </div>
  );
}
