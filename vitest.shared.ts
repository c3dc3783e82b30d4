import { defineProject } from 'vitest/config';

/**
 * Vitest project settings shared by every package: sibling @cnm packages resolve to their
 * TypeScript sources through the "@cnm/source" export condition, so no build is needed to test.
 */
export function cnmProject(
  name: string,
  options: { testTimeout?: number; setupFiles?: string[]; globalSetup?: string[] } = {},
) {
  return defineProject({
    resolve: { conditions: ['@cnm/source'] },
    ssr: { resolve: { conditions: ['@cnm/source'] } },
    test: {
      name,
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      environment: 'node',
      testTimeout: options.testTimeout ?? 30_000,
      setupFiles: options.setupFiles ?? [],
      globalSetup: options.globalSetup ?? [],
    },
  });
}
