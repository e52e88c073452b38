import { Suspense } from "react";
import { MutationCache, QueryCache, QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { BrowserRouter, Navigate, Route, Routes } from "react-router";
import { ApiError } from "./api/client";
import { keys } from "./api/keys";
import { RequireAuth } from "./features/identity/RequireAuth";
import { ErrorBoundary } from "./components/ErrorBoundary";
import { Layout } from "./components/Layout";
import { Loading } from "./components/Loading";
import { NotFound } from "./components/NotFound";
import { LAST_PROJECT_KEY } from "./features/identity/projects/ProjectSwitcher";
import { PromptLayout } from "./features/prompts/PromptLayout";
import {
  AcceptInvitationPage,
  AlertsPage,
  ExperimentPage,
  ExperimentsPage,
  AnalyticsDashboardPage,
  PromptMetricsPage,
  AuditPage,
  StatusPage,
  AnnotatePage,
  AnnotationQueuePage,
  AnnotationQueuesPage,
  EvaluationRunPage,
  EvaluationRunsPage,
  FeedbackPage,
  TracesPage,
  TracePage,
  GenerationPage,
  GenerationsPage,
  ProvidersPage,
  ChangeRequestPage,
  ChangeRequestsPage,
  KeysPage,
  MembersPage,
  NewChangeRequestPage,
  PoliciesPage,
  SettingsLayout,
  WebhooksPage,
  EditorPage,
  HistoryPage,
  ImpactPage,
  LabelsPage,
  LibraryPage,
  PlaygroundPage,
  SignInPage,
  TransferPage,
  DatasetsPage,
  DatasetPage,
  EvaluatorsPage,
  QualityReportsPage,
  PromptQualityPage,
} from "./routes";

export function makeQueryClient(): QueryClient {
  // A 401 anywhere means the session ended (expired, signed out elsewhere): re-check it,
  // and RequireAuth sends the user to the sign-in page, coming back here afterwards.
  const onError = (error: unknown, key?: readonly unknown[]) => {
    if (error instanceof ApiError && error.status === 401 && key?.[0] !== keys.me[0]) {
      void client.invalidateQueries({ queryKey: keys.me });
    }
  };
  const client: QueryClient = new QueryClient({
    queryCache: new QueryCache({ onError: (error, query) => onError(error, query.queryKey) }),
    mutationCache: new MutationCache({ onError: (error) => onError(error) }),
    defaultOptions: {
      queries: {
        staleTime: 10_000,
        refetchOnWindowFocus: false,
        // Client errors (4xx) will not fix themselves; retry only lost connections.
        retry: (count, error) =>
          count < 2 && error instanceof ApiError && (error.isNetwork || error.status >= 500),
      },
    },
  });
  return client;
}

function RedirectToProject() {
  const last = localStorage.getItem(LAST_PROJECT_KEY) || "default";
  return <Navigate to={`/p/${encodeURIComponent(last)}`} replace />;
}

export function AppRoutes() {
  return (
    <Routes>
      <Route path="/signin" element={<SignInPage />} />
      <Route path="/invite" element={<AcceptInvitationPage />} />
      <Route
        element={
          <RequireAuth>
            <Layout />
          </RequireAuth>
        }
      >
        <Route index element={<RedirectToProject />} />
        <Route path="p/:project">
          <Route index element={<LibraryPage />} />
          <Route path="new" element={<EditorPage />} />
          <Route path="transfer" element={<TransferPage />} />
          <Route path="settings" element={<SettingsLayout />}>
            <Route index element={<MembersPage />} />
            <Route path="keys" element={<KeysPage />} />
            <Route path="policies" element={<PoliciesPage />} />
            <Route path="webhooks" element={<WebhooksPage />} />
            <Route path="providers" element={<ProvidersPage />} />
          </Route>
          <Route path="reviews" element={<ChangeRequestsPage />} />
          <Route path="reviews/new" element={<NewChangeRequestPage />} />
          <Route path="reviews/:id" element={<ChangeRequestPage />} />
          <Route path="audit" element={<AuditPage />} />
          <Route path="status" element={<StatusPage />} />
          <Route path="generations" element={<GenerationsPage />} />
          <Route path="generations/:id" element={<GenerationPage />} />
          <Route path="feedback" element={<FeedbackPage />} />
          <Route path="datasets" element={<DatasetsPage />} />
          <Route path="datasets/:name" element={<DatasetPage />} />
          <Route path="evaluators" element={<EvaluatorsPage />} />
          <Route path="annotation" element={<AnnotationQueuesPage />} />
          <Route path="annotation/:id" element={<AnnotationQueuePage />} />
          <Route path="annotation/:id/annotate" element={<AnnotatePage />} />
          <Route path="evaluations" element={<EvaluationRunsPage />} />
          <Route path="evaluations/:id" element={<EvaluationRunPage />} />
          <Route path="alerts" element={<AlertsPage />} />
          <Route path="experiments" element={<ExperimentsPage />} />
          <Route path="experiments/:id" element={<ExperimentPage />} />
          <Route path="dashboard" element={<AnalyticsDashboardPage />} />
          <Route path="quality" element={<QualityReportsPage />} />
          <Route path="traces" element={<TracesPage />} />
          <Route path="traces/:id" element={<TracePage />} />
          <Route path="prompts/:name" element={<PromptLayout />}>
            <Route index element={<EditorPage />} />
            <Route path="history" element={<HistoryPage />} />
            <Route path="labels" element={<LabelsPage />} />
            <Route path="playground" element={<PlaygroundPage />} />
            <Route path="impact" element={<ImpactPage />} />
            <Route path="metrics" element={<PromptMetricsPage />} />
            <Route path="quality" element={<PromptQualityPage />} />
          </Route>
        </Route>
        <Route path="*" element={<NotFound />} />
      </Route>
    </Routes>
  );
}

export function App({ client }: { client: QueryClient }) {
  return (
    <QueryClientProvider client={client}>
      <BrowserRouter>
        <ErrorBoundary>
          <Suspense fallback={<Loading />}>
            <AppRoutes />
          </Suspense>
        </ErrorBoundary>
      </BrowserRouter>
    </QueryClientProvider>
  );
}
