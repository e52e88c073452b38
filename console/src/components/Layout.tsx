import { Suspense } from "react";
import { NavLink, Outlet, useLocation, useParams } from "react-router";
import { useMe } from "../auth/useMe";
import { ConnectionBanner } from "./ConnectionBanner";
import { ErrorBoundary } from "./ErrorBoundary";
import { Loading } from "./Loading";
import { ProjectSwitcher } from "./ProjectSwitcher";
import { roleCan } from "../lib/permissions";
import { AccountMenu } from "./AccountMenu";
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
          <NavLink to={`/p/${project}/reviews`}>Change requests</NavLink>
          <NavLink to={`/p/${project}/transfer`}>Import / export</NavLink>
          <NavLink to={`/p/${project}/settings`}>Settings</NavLink>
          {roleCan(me.data?.actor.role, "audit:read") && <NavLink to={`/p/${project}/audit`}>Audit log</NavLink>}
        </nav>
        <div className="who">
          <AccountMenu />
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
