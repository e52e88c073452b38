import { Suspense, useState } from "react";
import { NavLink, Outlet, useLocation, useParams } from "react-router";
import { useMe } from "../features/identity/useMe";
import { ConnectionBanner } from "./ConnectionBanner";
import { ErrorBoundary } from "./ErrorBoundary";
import { Loading } from "./Loading";
import { ProjectSwitcher } from "../features/identity/projects/ProjectSwitcher";
import { useFocusHeadingOnNavigate } from "../lib/focusHeading";
import { can } from "../lib/permissions";
import { AccountMenu } from "../features/identity/account/AccountMenu";
import { SignOutButton } from "../features/identity/account/SignOutButton";

export function Layout() {
  const { project = "default" } = useParams();
  const me = useMe();
  const location = useLocation();
  useFocusHeadingOnNavigate();
  // On a phone (up to 700 px) the project switcher, the navigation and the account sit
  // behind a Menu button, so the header takes one line; choosing a link closes it.
  const [menuOpen, setMenuOpen] = useState(false);
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className={menuOpen ? "topbar open" : "topbar"}>
        <NavLink to={`/p/${project}`} className="brand" end>
          Promptyard
        </NavLink>
        <button
          type="button"
          className="btn small menu-toggle"
          aria-expanded={menuOpen}
          aria-controls="topbar-menu"
          onClick={() => setMenuOpen(!menuOpen)}
        >
          Menu
        </button>
        <div
          id="topbar-menu"
          className="topbar-menu"
          onClick={(e) => {
            if ((e.target as HTMLElement).closest("a")) setMenuOpen(false);
          }}
        >
          <ProjectSwitcher project={project} />
          <nav aria-label="Main" className="mainnav">
            <NavLink to={`/p/${project}`} end>
              Library
            </NavLink>
            <NavLink to={`/p/${project}/reviews`}>Change requests</NavLink>
          <NavLink to={`/p/${project}/quality`}>Quality</NavLink>
            {can(me.data?.actor, "generation:read") && <NavLink to={`/p/${project}/dashboard`}>Dashboard</NavLink>}
            {can(me.data?.actor, "generation:read") && <NavLink to={`/p/${project}/generations`}>Generations</NavLink>}
            {can(me.data?.actor, "generation:read") && <NavLink to={`/p/${project}/traces`}>Traces</NavLink>}
            {can(me.data?.actor, "generation:read") && <NavLink to={`/p/${project}/feedback`}>Feedback</NavLink>}
            {can(me.data?.actor, "dataset:read") && <NavLink to={`/p/${project}/datasets`}>Datasets</NavLink>}
            {can(me.data?.actor, "evaluation:read") && <NavLink to={`/p/${project}/evaluations`}>Evaluations</NavLink>}
            {can(me.data?.actor, "annotation:read") && <NavLink to={`/p/${project}/annotation`}>Annotation</NavLink>}
            {can(me.data?.actor, "experiment:read") && <NavLink to={`/p/${project}/experiments`}>Experiments</NavLink>}
            {can(me.data?.actor, "alert:read") && <NavLink to={`/p/${project}/alerts`}>Alerts</NavLink>}
            <NavLink to={`/p/${project}/transfer`}>Import / export</NavLink>
            <NavLink to={`/p/${project}/settings`}>Settings</NavLink>
            {can(me.data?.actor, "audit:read") && <NavLink to={`/p/${project}/audit`}>Audit log</NavLink>}
            <NavLink to={`/p/${project}/status`}>Status</NavLink>
          </nav>
          <div className="who">
            <AccountMenu />
            <SignOutButton />
          </div>
        </div>
      </header>
      <ConnectionBanner />
      <main id="main" className="page" tabIndex={-1}>
        <ErrorBoundary resetKey={location.pathname}>
          <Suspense fallback={<Loading />}>
            <Outlet />
          </Suspense>
        </ErrorBoundary>
      </main>
    </>
  );
}
