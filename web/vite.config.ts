import { defineConfig } from "vitest/config";

// The API serves the build at /ui (functions/mpr/api/static); `npm run dev` proxies the API.
export default defineConfig({
  base: "/ui/",
  build: {
    outDir: "../functions/mpr/api/static",
    emptyOutDir: true,
    target: "es2022",
    // hls.js (~600 kB) and Shaka Player's DASH build (~500 kB) are chunks of their own,
    // loaded only by a job page that plays that protocol
    chunkSizeWarningLimit: 650,
  },
  server: {
    proxy: { "/v1": process.env.MPR_API_URL ?? "http://127.0.0.1:8080" },
  },
  test: {
    include: ["src/**/*.test.ts"],
    environment: "node",
  },
});
