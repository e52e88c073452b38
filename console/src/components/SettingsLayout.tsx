import { NavLink, Outlet, useParams } from "react-router";

/** Sub-navigation of the settings area: members, keys, policies, webhooks, providers. */
export default function SettingsLayout() {
  const { project = "default" } = useParams();
  const base = `/p/${encodeURIComponent(project)}/settings`;
  return (
    <div className="settings-layout">
      <nav aria-label="Settings" className="tabs">
        <NavLink to={base} end>
          Members &amp; roles
        </NavLink>
        <NavLink to={`${base}/keys`}>API keys</NavLink>
        <NavLink to={`${base}/policies`}>Policies</NavLink>
        <NavLink to={`${base}/webhooks`}>Webhooks</NavLink>
        <NavLink to={`${base}/providers`}>Providers</NavLink>
      </nav>
      <Outlet />
    </div>
  );
}
