// Tests compile the schema validators from scratch: a cached validator from an earlier version of
// the code could otherwise hide a change (test/validate/compiled-schema.test.ts tests the cache).
process.env.KUBEVIRT_RUNNERS_NO_CACHE = '1';
// Tests validate against the schemas the library ships; those that test an override set it themselves.
delete process.env.KUBEVIRT_RUNNERS_SCHEMAS;

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // Type-checking happens once, in `tsc --noEmit` (npm test); jest only transpiles, which keeps the
  // 1.5 MB of generated KubeVirt types from being checked again in every worker.
  transform: { '^.+\\.ts$': 'ts-jest' },
  moduleFileExtensions: ['ts', 'js', 'json'],
  // In-cluster bundles and scripts appear in snapshots as a hash and a size, not as their text.
  snapshotSerializers: ['<rootDir>/test/snapshot-bundles.ts'],
};
