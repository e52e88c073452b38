import type { ReactNode } from "react";
import { Navigate, useLocation } from "react-router";
import { ApiError } from "../../api/client";
import { ErrorMessage } from "../../components/ErrorMessage";
import { Loading } from "../../components/Loading";
import { useMe } from "./useMe";

/** Shows its children to a signed-in user; sends everyone else to the sign-in page. */
export function RequireAuth({ children }: { children: ReactNode }) {
  const me = useMe();
  const location = useLocation();
  if (me.isPending) return <Loading label="Checking your session…" />;
  if (me.error) {
    if (me.error instanceof ApiError && me.error.status === 401) {
      const next = location.pathname + location.search;
      return <Navigate to={`/signin?next=${encodeURIComponent(next)}`} replace />;
    }
    return (
      <main className="page narrow" id="main">
        <ErrorMessage error={me.error} onRetry={() => void me.refetch()} />
      </main>
    );
  }
  return <>{children}</>;
}
