import { pointer } from '../manifest-values';
import { Report } from '../report';

const SECRET_MAX_BYTES = 1024 * 1024; // core.MaxSecretSize
const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/;

// Kubernetes pkg/apis/core/validation/validation.go ValidateSecret: keys by IsConfigMapKey, at most
// 1 MiB of data in all. stringData is merged into data before validation (pkg/apis/core/v1
// conversion), so its keys and sizes count too.
export function checkSecretData(secret: any, report: Report): void {
  const sizes = new Map<string, number>();
  for (const field of ['data', 'stringData']) {
    for (const [key, value] of Object.entries(secret[field] ?? {})) {
      if (!CONFIG_KEY.test(key) || key.length > 253 || key === '.' || key === '..' || key.startsWith('..')) {
        report(`/${field}/${pointer(key)}`, `key ${JSON.stringify(key)} is not a valid Secret key (letters, digits, '-', '_' and '.', at most 253, not '.' or '..')`);
      }
      if (typeof value !== 'string') continue;
      sizes.set(key, field === 'data' ? Buffer.from(value, 'base64').length : Buffer.byteLength(value));
    }
  }
  const total = [...sizes.values()].reduce((sum, n) => sum + n, 0);
  if (total > SECRET_MAX_BYTES) report('/', `the Secret holds ${total} bytes; Kubernetes accepts at most ${SECRET_MAX_BYTES} (1 MiB)`);
}
