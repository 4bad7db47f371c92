// npm run test:boot: the boot test only (it builds a guest image and boots it; minutes, not seconds).
const base = require('./jest.config.js');

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  roots: ['<rootDir>/test/boot'],
  testMatch: ['**/*.boot.ts'],
  testTimeout: 20 * 60 * 1000,
  maxWorkers: 1,
};
