// Every page but the library (the landing page, in the main chunk so that the first
// load needs no second round of downloads) is its own chunk, loaded on first visit.
// CodeMirror is only imported by the editor's chunk.
import { lazy } from "react";

export { default as LibraryPage } from "./features/prompts/library/LibraryPage";
export const SignInPage = lazy(() => import("./features/identity/signin/SignInPage"));
export const AcceptInvitationPage = lazy(() => import("./features/identity/accept-invitation/AcceptInvitationPage"));
export const EditorPage = lazy(() => import("./features/prompts/editor/EditorPage"));
export const HistoryPage = lazy(() => import("./features/prompts/history/HistoryPage"));
export const LabelsPage = lazy(() => import("./features/prompts/history/LabelsPage"));
export const PlaygroundPage = lazy(() => import("./features/prompts/playground/PlaygroundPage"));
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
export const GenerationsPage = lazy(() => import("./features/telemetry/generations/GenerationsPage"));
export const GenerationPage = lazy(() => import("./features/telemetry/generations/GenerationPage"));
export const FeedbackPage = lazy(() => import("./features/telemetry/feedback/FeedbackPage"));
export const ProvidersPage = lazy(() => import("./features/runtime/providers/ProvidersPage"));
