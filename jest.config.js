/** @type {import('jest').Config} */
export default {
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  extensionsToTreatAsEsm: [".ts"],
  moduleNameMapper: { "^(\\.{1,2}/.*)\\.js$": "$1" },
  transform: {
    // Transpile only (isolatedModules); `npm run typecheck` does the type checking.
    "^.+\\.ts$": ["ts-jest", { useESM: true, tsconfig: "tsconfig.json" }],
  },
  // One control plane and Git server per run; tests share them, one namespace/repo each.
  globalSetup: "<rootDir>/test/env/global-setup.js",
  globalTeardown: "<rootDir>/test/env/global-teardown.js",
  testTimeout: 60000,
  // Two cores: more workers only fight the apiserver for CPU.
  maxWorkers: 2,
};
