/// <reference types="vitest/config" />
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// The build goes into the Python package, served by identra.web.console at /console.
export default defineConfig({
  base: "/console/",
  plugins: [react()],
  build: {
    outDir: "../src/identra/static/console",
    emptyOutDir: true,
    // No inline scripts or styles: the console's CSP allows 'self' only.
    assetsInlineLimit: 0,
    sourcemap: false,
    reportCompressedSize: true,
  },
  test: {
    environment: "jsdom",
    include: ["src/**/*.test.tsx", "src/**/*.test.ts"],
    restoreMocks: true,
    setupFiles: ["src/setup-tests.ts"],
  },
});
