/** Defaults of the Git fetch limits, shared by the flags (config/) and the Git source (source/). */
export const DEFAULT_MAX_FILES = 10_000;
export const DEFAULT_MAX_TOTAL_BYTES = 64 * 1024 * 1024;
export const DEFAULT_FETCH_TIMEOUT_MS = 120_000;
