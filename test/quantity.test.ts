import { parseQuantity, validateByteQuantity, validateCpu, vcpusFor } from '../lib/private/quantity';

describe('parseQuantity', () => {
  test.each([
    ['16Gi', 16 * 2 ** 30], ['512Mi', 512 * 2 ** 20], ['1.5Gi', 1.5 * 2 ** 30], ['16G', 16e9], ['500m', 0.5],
    ['8', 8], ['1e3', 1000], ['1E3', 1000], ['2E', 2e18], ['.5', 0.5],
  ])('%s is %d', (text, value) => {
    expect(parseQuantity(text)).toBeCloseTo(value);
  });

  test.each(['16GB', '16 Gi', 'Gi', '', 'abc', '1.2.3', '16gi', '0x10'])('%j is not a quantity', (text) => {
    expect(parseQuantity(text)).toBeUndefined();
  });
});

describe('validateByteQuantity', () => {
  test('accepts and returns a byte quantity', () => {
    expect(validateByteQuantity('X', 'memory', '16Gi')).toBe('16Gi');
  });

  test.each(['16GB', '-1', '0', '0Gi', '16m', 'lots'])('rejects %j naming the prop and value', (bad) => {
    expect(() => validateByteQuantity('RunnerVm', 'memory', bad)).toThrow(`RunnerVm 'memory' must be a positive Kubernetes quantity of bytes such as '16Gi' or '512Mi', got "${bad}"`);
  });
});

describe('validateCpu', () => {
  test.each([[8, '8'], ['8', '8'], ['500m', '500m'], [0.5, '0.5']])('accepts %j as %j', (input, text) => {
    expect(validateCpu('X', 'cpu', input)).toBe(text);
  });

  test.each([0, -1, '0', '-2', 'eight', NaN, Infinity, '16Gi'])('rejects %j', (bad) => {
    expect(() => validateCpu('RunnerVm', 'cpu', bad as any)).toThrow(/RunnerVm 'cpu' must be a positive number of cores/);
  });

  test('a guest gets whole vCPUs, rounded up', () => {
    expect(vcpusFor('8')).toBe(8);
    expect(vcpusFor('500m')).toBe(1);
    expect(vcpusFor('2.5')).toBe(3);
  });
});
