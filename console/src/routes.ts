// Every page but the library (the landing page, in the main chunk so that the first
// load needs no second round of downloads) is its own chunk, loaded on first visit.
// CodeMirror is only imported by the editor's chunk.
import { lazy } from "react";

export { default as LibraryPage } from "./features/prompts/library/LibraryPage";
export const SignInPage = lazy(() => import("./features/identity/signin/SignInPage"));
export const AcceptInvitationPage = lazy(() => import("./features/identity/accept-invitation/AcceptInvitationPage"));
/** The editor's chunk; prefetch.ts starts it with the prompt's data on a cold load. */
export const loadEditorPage = () => import("./features/prompts/editor/EditorPage");
export const EditorPage = lazy(loadEditorPage);
export const HistoryPage = lazy(() => import("./features/prompts/history/HistoryPage"));
export const LabelsPage = lazy(() => import("./features/prompts/history/LabelsPage"));
export const PlaygroundPage = lazy(() => import("./features/runtime/playground/PlaygroundPage"));
export const ImpactPage = lazy(() => import("./features/governance/impact/ImpactPage"));
export const TransferPage = lazy(() => import("./features/prompts/transfer/TransferPage"));
export const SettingsLayout = lazy(() => import("./components/SettingsLayout"));
export const MembersPage = lazy(() => import("./features/identity/members/MembersPage"));
export const KeysPage = lazy(() => import("./features/identity/keys/KeysPage"));
export const PoliciesPage = lazy(() => import("./features/governance/policies/PoliciesPage"));
export const WebhooksPage = lazy(() => import("./features/operations/webhooks/WebhooksPage"));
export const ChangeRequestsPage = lazy(() => import("./features/governance/reviews/ChangeRequestsPage"));
export const NewChangeRequestPage = lazy(() => import("./features/governance/reviews/NewChangeRequestPage"));
export const ChangeRequestPage = lazy(() => import("./features/governance/reviews/ChangeRequestPage"));
export const AuditPage = lazy(() => import("./features/operations/audit/AuditPage"));
export const StatusPage = lazy(() => import("./features/operations/status/StatusPage"));
export const GenerationsPage = lazy(() => import("./features/telemetry/generations/GenerationsPage"));
export const GenerationPage = lazy(() => import("./features/telemetry/generations/GenerationPage"));
export const FeedbackPage = lazy(() => import("./features/telemetry/feedback/FeedbackPage"));
export const TracesPage = lazy(() => import("./features/telemetry/traces/TracesPage"));
export const TracePage = lazy(() => import("./features/telemetry/traces/TracePage"));
export const ProvidersPage = lazy(() => import("./features/runtime/providers/ProvidersPage"));
export const AlertsPage = lazy(() => import("./features/alerts/AlertsPage"));
export const AnalyticsDashboardPage = lazy(() => import("./features/analytics/DashboardPage"));
export const PromptMetricsPage = lazy(() => import("./features/analytics/PromptMetricsPage"));
export const EvaluationRunsPage = lazy(() => import("./features/evaluation/runs/RunsPage"));
export const EvaluationRunPage = lazy(() => import("./features/evaluation/runs/RunPage"));
export const DatasetsPage = lazy(() => import("./features/evaluation/datasets/DatasetsPage"));
export const DatasetPage = lazy(() => import("./features/evaluation/datasets/DatasetPage"));
export const EvaluatorsPage = lazy(() => import("./features/evaluation/evaluators/EvaluatorsPage"));
export const AnnotationQueuesPage = lazy(() => import("./features/evaluation/annotation/QueuesPage"));
export const AnnotationQueuePage = lazy(() => import("./features/evaluation/annotation/QueuePage"));
export const AnnotatePage = lazy(() => import("./features/evaluation/annotation/AnnotatePage"));
export const ExperimentsPage = lazy(() => import("./features/experiments/ExperimentsPage"));
export const ExperimentPage = lazy(() => import("./features/experiments/ExperimentPage"));
export const QualityReportsPage = lazy(() => import("./features/quality/ReportsPage"));
export const PromptQualityPage = lazy(() => import("./features/quality/PromptQualityPage"));
