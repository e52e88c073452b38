// Every page but the library (the landing page, in the main chunk so that the first
// load needs no second round of downloads) is its own chunk, loaded on first visit.
// CodeMirror is only imported by the editor's chunk.
import { lazy } from "react";

export { default as LibraryPage } from "./pages/library/LibraryPage";
export const SignInPage = lazy(() => import("./auth/SignInPage"));
export const EditorPage = lazy(() => import("./pages/editor/EditorPage"));
export const HistoryPage = lazy(() => import("./pages/history/HistoryPage"));
export const LabelsPage = lazy(() => import("./pages/history/LabelsPage"));
export const PlaygroundPage = lazy(() => import("./pages/playground/PlaygroundPage"));
export const TransferPage = lazy(() => import("./pages/transfer/TransferPage"));
