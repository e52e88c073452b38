import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// The console is served by the Python server: the build goes into the package's
// static folder, and in development /api is proxied to a locally running server.
export default defineConfig({
  base: "/",
  plugins: [react()],
  build: {
    outDir: "../src/promptyard/static",
    emptyOutDir: true,
    target: "es2022",
    sourcemap: false,
    chunkSizeWarningLimit: 900,
  },
  server: {
    proxy: {
      "/api": "http://127.0.0.1:8000",
      "/healthz": "http://127.0.0.1:8000",
    },
  },
});
