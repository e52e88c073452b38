import { NavLink, Outlet, useParams } from "react-router";
import { Link } from "react-router";

/** Header and tabs shared by a prompt's editor, history, labels and playground. */
export function PromptLayout() {
  const { project = "default", name = "" } = useParams();
  const base = `/p/${encodeURIComponent(project)}/prompts/${encodeURIComponent(name)}`;
  return (
    <div className="prompt-layout">
      <nav aria-label="Breadcrumb" className="crumbs">
        <Link to={`/p/${encodeURIComponent(project)}`}>{project}</Link>
        <span aria-hidden="true"> / </span>
        <span aria-current="page">{name}</span>
      </nav>
      <nav aria-label="Prompt" className="tabs">
        <NavLink to={base} end>
          Editor
        </NavLink>
        <NavLink to={`${base}/history`}>History</NavLink>
        <NavLink to={`${base}/labels`}>Labels</NavLink>
        <NavLink to={`${base}/playground`}>Playground</NavLink>
      </nav>
      <Outlet />
    </div>
  );
}
