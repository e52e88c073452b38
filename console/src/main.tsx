import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App, makeQueryClient } from "./App";
import { prefetchFirstPage } from "./prefetch";
import "./styles.css";

const client = makeQueryClient();
prefetchFirstPage(client, window.location);

const root = document.getElementById("root");
if (!root) throw new Error("index.html has no #root element");
createRoot(root).render(
  <StrictMode>
    <App client={client} />
  </StrictMode>,
);
