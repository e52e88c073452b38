import { Link } from "react-router";
import { useTitle } from "../lib/title";

export function NotFound() {
  useTitle("Page not found");
  return (
    <div className="empty">
      <h1>Page not found</h1>
      <p>
        There is nothing at this address. <Link to="/">Go to the prompt library</Link>.
      </p>
    </div>
  );
}
