import { ApiError, errorMessage } from "../api/client";

interface Props {
  error: unknown;
  /** Shown as a "Retry" button (always offered for a lost connection). */
  onRetry?: () => void;
  title?: string;
}

/** A readable API error: the server's error.message, and a retry when it helps. */
export function ErrorMessage({ error, onRetry, title }: Props) {
  const network = error instanceof ApiError && error.isNetwork;
  const heading = title ?? (network ? "Connection lost" : "Something went wrong");
  return (
    <div className="notice error" role="alert">
      <strong>{heading}</strong>
      <span> {errorMessage(error)}</span>
      {onRetry && (
        <button type="button" className="btn small" onClick={onRetry}>
          Retry
        </button>
      )}
    </div>
  );
}
