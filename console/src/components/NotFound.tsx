import { Link } from "react-router";
import { EmptyState } from "./EmptyState";

export function NotFound() {
  return (
    <EmptyState title="Page not found">
      <p>
        There is nothing at this address. <Link to="/">Go to the prompt library</Link>.
      </p>
    </EmptyState>
  );
}
