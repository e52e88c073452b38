import { useQuery } from "@tanstack/react-query";
import { useParams, useSearchParams } from "react-router";
import { ErrorMessage } from "../../../components/ErrorMessage";
import { Loading } from "../../../components/Loading";
import { promptQueries } from "../queries";
import { PromptEditor } from "./PromptEditor";

export default function EditorPage() {
  const { project = "default", name } = useParams();
  const [params] = useSearchParams();
  if (!name) return <PromptEditor project={project} prompt={null} initialFolder={params.get("folder") ?? ""} />;
  return <ExistingPrompt project={project} name={name} />;
}

function ExistingPrompt({ project, name }: { project: string; name: string }) {
  const query = useQuery({ ...promptQueries.one(project, name), staleTime: 0 });
  if (query.isPending) return <Loading label="Loading prompt…" />;
  if (query.error) return <ErrorMessage error={query.error} onRetry={() => void query.refetch()} />;
  return <PromptEditor key={`${project}/${name}`} project={project} prompt={query.data} initialFolder="" />;
}
