import { Suspense } from "react";
import { useQuery } from "@tanstack/react-query";
import { NavLink, Outlet, useMatch, useParams } from "react-router";
import { Link } from "react-router";
import { LifecycleBadge } from "../../components/LifecycleBadge";
import { Loading } from "../../components/Loading";
import { LifecycleControl } from "../../components/LifecycleControl";
import { useCan } from "../../lib/permissions";
import { promptQueries } from "./queries";
import { TemplatePreview } from "./TemplatePreview";

/** Header and tabs shared by a prompt's editor, history, labels, playground and impact. */
export function PromptLayout() {
  const { project = "default", name = "" } = useParams();
  const base = `/p/${encodeURIComponent(project)}/prompts/${encodeURIComponent(name)}`;
  const prompt = useQuery(promptQueries.one(project, name));
  const onEditor = useMatch({ path: "/p/:project/prompts/:name", end: true }) !== null;
  const can = useCan();
  const lifecycle = prompt.data?.lifecycle ?? "draft";
  return (
    <div className="prompt-layout">
      <div className="prompt-head">
        <nav aria-label="Breadcrumb" className="crumbs">
          <Link to={`/p/${encodeURIComponent(project)}`}>{project}</Link>
          <span aria-hidden="true"> / </span>
          <span aria-current="page">{name}</span>{" "}
          {prompt.data && <LifecycleBadge state={lifecycle} prefix />}
        </nav>
        {prompt.data && can("prompt:write") && (
          <LifecycleControl project={project} name={name} current={lifecycle} />
        )}
      </div>
      {lifecycle === "deprecated" && (
        <p className="notice warn">
          This prompt is deprecated: it is still served, and answers say so with the header Deprecation: true.
        </p>
      )}
      {lifecycle === "archived" && (
        <p className="notice warn">This prompt is archived: it cannot get new change requests.</p>
      )}
      <nav aria-label="Prompt" className="tabs">
        <NavLink to={base} end>
          Editor
        </NavLink>
        <NavLink to={`${base}/history`}>History</NavLink>
        <NavLink to={`${base}/labels`}>Labels</NavLink>
        <NavLink to={`${base}/playground`}>Playground</NavLink>
        <NavLink to={`${base}/impact`}>Impact</NavLink>
        <NavLink to={`${base}/metrics`}>Metrics</NavLink>
        <NavLink to={`${base}/quality`}>Quality</NavLink>
      </nav>
      {/* Its own boundary: while a tab's code loads, this header stays and its query runs
          (under the page's boundary the whole layout would wait for the tab's chunk); the
          editor's tab shows the template as text meanwhile. */}
      <Suspense fallback={onEditor && prompt.data ? <TemplatePreview prompt={prompt.data} /> : <Loading />}>
        <Outlet />
      </Suspense>
    </div>
  );
}
