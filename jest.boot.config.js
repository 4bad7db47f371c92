/** @type {import('jest').Config} */
// npm run test:boot: the boot test only (it builds a guest image and boots it; minutes, not seconds).
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test/boot'],
  testMatch: ['**/*.boot.ts'],
  transform: { '^.+\\.ts$': 'ts-jest' },
  moduleFileExtensions: ['ts', 'js', 'json'],
  testTimeout: 20 * 60 * 1000,
  maxWorkers: 1,
};
