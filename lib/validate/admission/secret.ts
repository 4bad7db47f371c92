import { isObject, pointer } from '../manifest-values';
import { Report } from '../report';
import { isBase64 } from './vmi-values';

const MAX_BYTES = 1024 * 1024; // core.MaxSecretSize, also the limit of a ConfigMap's data
const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/;

/** What a Secret or ConfigMap key may be, for messages. */
export const CONFIG_KEY_RULE = "letters, digits, '-', '_' and '.', at most 253, not '.' or '..'";

/** k8s.io/apimachinery pkg/util/validation IsConfigMapKey. */
export function isConfigKey(key: unknown): key is string {
  return typeof key === 'string' && CONFIG_KEY.test(key) && key.length <= 253 && key !== '.' && key !== '..' && !key.startsWith('..');
}

// The keys each built-in Secret type needs (ValidateSecret's switch on secret.Type); one of them
// is enough where the list says `oneOf`.
const SECRET_TYPES: Record<string, { readonly keys: readonly string[]; readonly oneOf?: boolean; readonly annotation?: string }> = {
  'Opaque': { keys: [] },
  'kubernetes.io/service-account-token': { keys: [], annotation: 'kubernetes.io/service-account.name' },
  'kubernetes.io/dockercfg': { keys: ['.dockercfg'] },
  'kubernetes.io/dockerconfigjson': { keys: ['.dockerconfigjson'] },
  'kubernetes.io/basic-auth': { keys: ['username', 'password'], oneOf: true },
  'kubernetes.io/ssh-auth': { keys: ['ssh-privatekey'] },
  'kubernetes.io/tls': { keys: ['tls.crt', 'tls.key'] },
  'bootstrap.kubernetes.io/token': { keys: [] },
};

// Kubernetes pkg/apis/core/validation/validation.go ValidateSecret: keys by IsConfigMapKey, at most
// 1 MiB of data in all, and the keys (or annotation) its type needs. stringData is merged into data
// before validation (pkg/apis/core/v1 conversion), so its keys and sizes count too.
export function checkSecretData(secret: any, report: Report): void {
  const sizes = checkKeys(secret, ['data', 'stringData'], report);
  const total = [...sizes.values()].reduce((sum, n) => sum + n, 0);
  if (total > MAX_BYTES) report('/', `the Secret holds ${total} bytes; Kubernetes accepts at most ${MAX_BYTES} (1 MiB)`);
  checkSecretType(secret, new Set(sizes.keys()), report);
}

function checkSecretType(secret: any, keys: Set<string>, report: Report): void {
  const type = secret.type ?? 'Opaque';
  const rule = SECRET_TYPES[type];
  if (!rule) {
    // The API server takes any other type without checks; under kubernetes.io/ it is a misspelt built-in one.
    if (typeof type === 'string' && type.startsWith('kubernetes.io/')) report('/type', `${JSON.stringify(type)} is not a Secret type Kubernetes defines (${Object.keys(SECRET_TYPES).join(', ')})`);
    return;
  }
  const present = rule.keys.filter((k) => keys.has(k));
  if (rule.oneOf ? present.length === 0 && rule.keys.length > 0 : present.length < rule.keys.length) {
    const missing = rule.keys.filter((k) => !keys.has(k));
    report('/type', `a Secret of type ${type} needs ${rule.oneOf ? 'one of the keys' : 'the keys'} ${(rule.oneOf ? rule.keys : missing).join(', ')} (the API server rejects it)`);
  }
  if (rule.annotation && !secret.metadata?.annotations?.[rule.annotation]) {
    report('/metadata/annotations', `a Secret of type ${type} needs the annotation ${rule.annotation}`);
  }
}

// Kubernetes validation.go ValidateConfigMap: keys by IsConfigMapKey, a key in data and binaryData at
// once is a duplicate, at most 1 MiB of data and binaryData together.
export function checkConfigMapData(configMap: any, report: Report): void {
  const sizes = checkKeys(configMap, ['data', 'binaryData'], report);
  for (const key of Object.keys(isObject(configMap.binaryData) ? configMap.binaryData : {})) {
    if (isObject(configMap.data) && key in configMap.data) report(`/binaryData/${pointer(key)}`, `key ${JSON.stringify(key)} is in data and in binaryData`);
  }
  const total = [...sizes.values()].reduce((sum, n) => sum + n, 0);
  if (total > MAX_BYTES) report('/', `the ConfigMap holds ${total} bytes; Kubernetes accepts at most ${MAX_BYTES} (1 MiB)`);
}

/** Checks the keys of the given fields, and answers each key's size in bytes. */
function checkKeys(object: any, fields: readonly string[], report: Report): Map<string, number> {
  const sizes = new Map<string, number>();
  for (const field of fields) {
    const base64 = field === 'data' ? object.kind === 'Secret' : field === 'binaryData';
    for (const [key, value] of Object.entries(isObject(object[field]) ? object[field] : {})) {
      if (!isConfigKey(key)) report(`/${field}/${pointer(key)}`, `key ${JSON.stringify(key)} is not a valid ${object.kind} key (${CONFIG_KEY_RULE})`);
      if (typeof value !== 'string') continue;
      if (base64 && !isBase64(value.replace(/\s/g, ''))) continue; // the schema's format "byte" reports it
      sizes.set(key, base64 ? Buffer.from(value, 'base64').length : Buffer.byteLength(value));
    }
  }
  return sizes;
}
