import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasSharedSchemas, SHARED_SCHEMAS_DIR, testIf } from '../util';

// lib/validate/schemas is generated (npm run schemas) and committed: it must be exactly what the
// script makes of ../shared/schemas today, or the package would ship stale or hand-edited schemas.
const VALIDATE = join(__dirname, '..', '..', 'lib', 'validate');
const sharedTest = testIf(hasSharedSchemas, `${SHARED_SCHEMAS_DIR} (the source of lib/validate/schemas)`);

const generate = (script: string, ...args: string[]) =>
  spawnSync('node', [script, '--from', SHARED_SCHEMAS_DIR, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

describe('npm run schemas (lib/validate/generate-schemas.mjs)', () => {
  sharedTest('the committed lib/validate/schemas is what the script generates', () => {
    const result = generate(join(VALIDATE, 'generate-schemas.mjs'), '--check');
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  sharedTest('--check names every difference and exits non-zero', () => {
    const copy = mkdtempSync(join(tmpdir(), 'schemas-check-'));
    try {
      copyFileSync(join(VALIDATE, 'generate-schemas.mjs'), join(copy, 'generate-schemas.mjs'));
      cpSync(join(VALIDATE, 'schemas'), join(copy, 'schemas'), { recursive: true });
      writeFileSync(join(copy, 'schemas', 'kinds.json'), '{}');
      writeFileSync(join(copy, 'schemas', 'stray.json'), '{}');
      rmSync(join(copy, 'schemas', 'LICENSES', 'Apache-2.0.txt'));
      const result = generate(join(copy, 'generate-schemas.mjs'), '--check');
      expect(result.status).toBe(1);
      expect(result.stderr).toContain('missing: LICENSES/Apache-2.0.txt\n  not generated: stray.json\n  differs: kinds.json');
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });

  sharedTest('a schema made from a definition (Namespace) follows the rules the Secret file was made with, or nothing is written', () => {
    const from = mkdtempSync(join(tmpdir(), 'schemas-from-'));
    const copy = mkdtempSync(join(tmpdir(), 'schemas-script-'));
    try {
      cpSync(SHARED_SCHEMAS_DIR, from, { recursive: true });
      copyFileSync(join(VALIDATE, 'generate-schemas.mjs'), join(copy, 'generate-schemas.mjs'));
      const secretFile = join(from, 'kubernetes', 'v1.34.0', 'secret-v1.json');
      const secret = JSON.parse(readFileSync(secretFile, 'utf8'));
      expect(secret.additionalProperties).toBe(false);
      // Another rule upstream (an open root) than the one the script applies.
      delete secret.additionalProperties;
      rmSync(secretFile);
      writeFileSync(secretFile, JSON.stringify(secret));
      const result = spawnSync('node', [join(copy, 'generate-schemas.mjs'), '--from', from], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      expect(result.status).toBe(2);
      expect(result.stderr).toContain('the standalone-strict rules no longer make kubernetes/v1.34.0/secret-v1.json from io.k8s.api.core.v1.Secret');
      expect(readdirSync(copy)).toEqual(['generate-schemas.mjs']);
    } finally {
      rmSync(from, { recursive: true, force: true });
      rmSync(copy, { recursive: true, force: true });
    }
  });

  test('the shipped Namespace schema is closed and knows the kind\'s fields', () => {
    const schema = JSON.parse(readFileSync(join(VALIDATE, 'schemas', 'kubernetes', 'namespace-v1.json'), 'utf8'));
    expect(schema.additionalProperties).toBe(false);
    expect(Object.keys(schema.properties).sort()).toEqual(['apiVersion', 'kind', 'metadata', 'spec', 'status']);
    expect(schema.properties.spec).toMatchObject({ additionalProperties: false, properties: { finalizers: { type: 'array' } } });
    expect(schema.properties.metadata.additionalProperties).toBe(false);
    expect(JSON.stringify(schema)).not.toContain('$ref');
  });

  test('the shipped index lists the kinds the library synthesizes', () => {
    expect(JSON.parse(readFileSync(join(VALIDATE, 'schemas', 'kinds.json'), 'utf8'))).toEqual({
      'kubevirt.io/v1 VirtualMachine': 'kubevirt.io/virtualmachine_v1.json',
      'cdi.kubevirt.io/v1beta1 DataVolume': 'cdi.kubevirt.io/datavolume_v1beta1.json',
      'v1 Secret': 'kubernetes/secret-v1.json',
      'kubevirt.io/v1 VirtualMachineInstance': 'kubevirt.io/virtualmachineinstance_v1.json',
      'actions.github.com/v1alpha1 AutoscalingRunnerSet': 'actions.github.com/autoscalingrunnerset_v1alpha1.json',
      'v1 ConfigMap': 'kubernetes/configmap-v1.json',
      'v1 ServiceAccount': 'kubernetes/serviceaccount-v1.json',
      'rbac.authorization.k8s.io/v1 Role': 'kubernetes/role-rbac-v1.json',
      'rbac.authorization.k8s.io/v1 RoleBinding': 'kubernetes/rolebinding-rbac-v1.json',
      'batch/v1 CronJob': 'kubernetes/cronjob-batch-v1.json',
      'batch/v1 Job': 'kubernetes/job-batch-v1.json',
      'pool.kubevirt.io/v1beta1 VirtualMachinePool': 'pool.kubevirt.io/virtualmachinepool_v1beta1.json',
      'keda.sh/v1alpha1 ScaledJob': 'keda.sh/scaledjob_v1alpha1.json',
      'keda.sh/v1alpha1 TriggerAuthentication': 'keda.sh/triggerauthentication_v1alpha1.json',
      'networking.k8s.io/v1 NetworkPolicy': 'kubernetes/networkpolicy-networking-v1.json',
      'v1 Namespace': 'kubernetes/namespace-v1.json',
    });
  });
});
