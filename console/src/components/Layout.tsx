import { Suspense } from "react";
import { NavLink, Outlet, useLocation, useParams } from "react-router";
import { useMe } from "../auth/useMe";
import { ConnectionBanner } from "./ConnectionBanner";
import { ErrorBoundary } from "./ErrorBoundary";
import { Loading } from "./Loading";
import { ProjectSwitcher } from "./ProjectSwitcher";
import { SignOutButton } from "./SignOutButton";

export function Layout() {
  const { project = "default" } = useParams();
  const me = useMe();
  const location = useLocation();
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <NavLink to={`/p/${project}`} className="brand" end>
          Promptyard
        </NavLink>
        <ProjectSwitcher project={project} />
        <nav aria-label="Main" className="mainnav">
          <NavLink to={`/p/${project}`} end>
            Library
          </NavLink>
          <NavLink to={`/p/${project}/transfer`}>Import / export</NavLink>
        </nav>
        <div className="who">
          <span className="who-name" title={me.data?.actor.role}>
            {me.data?.actor.name}
          </span>
          <SignOutButton />
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
