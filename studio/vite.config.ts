// voxflow's one front-end package: each screen is a page of its own (the visual studio will
// add studio.html). `npm run build` writes dist/, which the Python web app serves.
// `npm run dev` serves the pages with hot reload and sends /api (and its WebSocket) to a
// running `python -m agents serve` on port 8080. Paths are relative to this folder (npm runs
// its scripts here).
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

export default defineConfig({
  plugins: [react()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    rollupOptions: {
      input: {
        desktop: "desktop.html",
        supervisor: "supervisor.html",
      },
    },
  },
  server: {
    proxy: { "/api": { target: "http://127.0.0.1:8080", ws: true } },
  },
});
