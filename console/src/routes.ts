// Every page but the library (the landing page, in the main chunk so that the first
// load needs no second round of downloads) is its own chunk, loaded on first visit.
// CodeMirror is only imported by the editor's chunk.
import { lazy } from "react";

export { default as LibraryPage } from "./pages/library/LibraryPage";
export const SignInPage = lazy(() => import("./auth/SignInPage"));
export const AcceptInvitationPage = lazy(() => import("./auth/AcceptInvitationPage"));
export const EditorPage = lazy(() => import("./pages/editor/EditorPage"));
export const HistoryPage = lazy(() => import("./pages/history/HistoryPage"));
export const LabelsPage = lazy(() => import("./pages/history/LabelsPage"));
export const PlaygroundPage = lazy(() => import("./pages/playground/PlaygroundPage"));
export const ImpactPage = lazy(() => import("./pages/impact/ImpactPage"));
export const TransferPage = lazy(() => import("./pages/transfer/TransferPage"));
export const SettingsLayout = lazy(() => import("./pages/settings/SettingsLayout"));
export const MembersPage = lazy(() => import("./pages/settings/MembersPage"));
export const KeysPage = lazy(() => import("./pages/settings/KeysPage"));
export const PoliciesPage = lazy(() => import("./pages/settings/PoliciesPage"));
export const WebhooksPage = lazy(() => import("./pages/settings/WebhooksPage"));
export const ChangeRequestsPage = lazy(() => import("./pages/reviews/ChangeRequestsPage"));
export const NewChangeRequestPage = lazy(() => import("./pages/reviews/NewChangeRequestPage"));
export const ChangeRequestPage = lazy(() => import("./pages/reviews/ChangeRequestPage"));
export const AuditPage = lazy(() => import("./pages/audit/AuditPage"));
