import { useSyncExternalStore } from "react";
import { useQueryClient } from "@tanstack/react-query";

function subscribe(callback: () => void) {
  window.addEventListener("online", callback);
  window.addEventListener("offline", callback);
  return () => {
    window.removeEventListener("online", callback);
    window.removeEventListener("offline", callback);
  };
}

/** Shown while the browser reports no network, with a retry for everything that failed. */
export function ConnectionBanner() {
  const online = useSyncExternalStore(subscribe, () => navigator.onLine, () => true);
  const client = useQueryClient();
  if (online) return null;
  return (
    <div className="banner" role="alert">
      You are offline. Changes cannot be saved until the connection is back.
      <button type="button" className="btn small" onClick={() => void client.refetchQueries()}>
        Retry
      </button>
    </div>
  );
}
