import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv, { _, ErrorObject, ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { compileCached, defaultCacheDir } from './compiled-schema';
import { Finding, ManifestObject, objectLabel } from './finding';

// apiVersion + kind -> schema file, in the kubeconform layout of ../shared/schemas.
const CUSTOM_RESOURCE_SCHEMAS: Record<string, string> = {
  'kubevirt.io/v1 VirtualMachine': 'jsonschema/kubevirt.io/virtualmachine_v1.json',
  'kubevirt.io/v1 VirtualMachineInstance': 'jsonschema/kubevirt.io/virtualmachineinstance_v1.json',
  'pool.kubevirt.io/v1beta1 VirtualMachinePool': 'jsonschema/pool.kubevirt.io/virtualmachinepool_v1beta1.json',
  'instancetype.kubevirt.io/v1beta1 VirtualMachineInstancetype': 'jsonschema/instancetype.kubevirt.io/virtualmachineinstancetype_v1beta1.json',
  'instancetype.kubevirt.io/v1beta1 VirtualMachineClusterInstancetype': 'jsonschema/instancetype.kubevirt.io/virtualmachineclusterinstancetype_v1beta1.json',
  'instancetype.kubevirt.io/v1beta1 VirtualMachinePreference': 'jsonschema/instancetype.kubevirt.io/virtualmachinepreference_v1beta1.json',
  'instancetype.kubevirt.io/v1beta1 VirtualMachineClusterPreference': 'jsonschema/instancetype.kubevirt.io/virtualmachineclusterpreference_v1beta1.json',
  'cdi.kubevirt.io/v1beta1 DataVolume': 'jsonschema/cdi.kubevirt.io/datavolume_v1beta1.json',
  'cdi.kubevirt.io/v1beta1 DataSource': 'jsonschema/cdi.kubevirt.io/datasource_v1beta1.json',
  'cdi.kubevirt.io/v1beta1 DataImportCron': 'jsonschema/cdi.kubevirt.io/dataimportcron_v1beta1.json',
  // Standalone-strict (every object closed), like kubeconform's -strict schemas.
  'v1 Secret': 'kubernetes/v1.34.0/secret-v1.json',
};
// kubeconform's rules: no strict types, the Kubernetes extensions known as (inert) vocabulary.
const AJV_OPTIONS = { allErrors: true, strictTypes: false, strictTuples: false, validateSchema: false };
const VOCABULARY = [
  'x-kubernetes-preserve-unknown-fields', 'x-kubernetes-list-type', 'x-kubernetes-map-type', 'x-kubernetes-int-or-string',
  'x-kubernetes-list-map-keys', 'x-kubernetes-validations', 'x-kubernetes-patch-strategy', 'x-kubernetes-patch-merge-key',
  'x-kubernetes-group-version-kind', 'x-kubernetes-unions', 'x-kubernetes-embedded-resource',
];
// Everything that shapes the compiled code is part of the cache key.
const RECIPE = `kubernetes ${JSON.stringify(AJV_OPTIONS)} ${VOCABULARY.join(',')}`;
const DEFINITIONS_FILE = 'kubernetes/v1.34.0/_definitions.json';
const DEFINITIONS_ID = 'k8s-definitions.json';

/**
 * Validates Kubernetes objects against JSON schemas the way kubeconform does: ajv with strict
 * types off, the `x-kubernetes-*` extensions known as vocabulary, and ajv-formats. KubeVirt, CDI
 * and Secret use closed (additionalProperties: false) schemas, so a misspelt field is an error;
 * other core kinds use the Kubernetes 1.34 definitions. A kind with no schema is reported.
 */
export class KubernetesSchemas {
  private readonly ajv: Ajv;
  private readonly compiled = new Map<string, ValidateFunction | undefined>();
  private definitions?: { byGvk: Map<string, string> };

  constructor(private readonly schemaDir: string, private readonly cacheDir = defaultCacheDir()) {
    this.ajv = new Ajv({ ...AJV_OPTIONS, code: { source: true, formats: _`require("ajv-formats/dist/formats").fullFormats` } });
    addFormats(this.ajv);
    this.ajv.addVocabulary(VOCABULARY);
  }

  /** Schema errors of one object; `[]` when it is valid. */
  public validate(item: ManifestObject): Finding[] {
    const { file, object } = item;
    const label = objectLabel(object);
    if (typeof object?.apiVersion !== 'string' || typeof object?.kind !== 'string') {
      return [{ file, object: label, path: '', message: 'not a Kubernetes object: apiVersion and kind are required' }];
    }
    const validate = this.validatorFor(object.apiVersion, object.kind);
    if (!validate) {
      return [{ file, object: label, path: '', message: `unknown kind: no schema for ${object.kind} in ${object.apiVersion}` }];
    }
    if (validate(object)) return [];
    return (validate.errors ?? []).map((error) => ({ file, object: label, path: error.instancePath, message: describe(error) }));
  }

  private validatorFor(apiVersion: string, kind: string): ValidateFunction | undefined {
    const key = `${apiVersion} ${kind}`;
    if (!this.compiled.has(key)) {
      const file = CUSTOM_RESOURCE_SCHEMAS[key];
      if (file) {
        const text = readFileSync(join(this.schemaDir, file), 'utf8');
        this.compiled.set(key, compileCached(this.ajv, JSON.parse(text), text, RECIPE, this.cacheDir));
      } else {
        const definition = this.coreDefinition(apiVersion, kind);
        this.compiled.set(key, definition ? this.ajv.compile({ $ref: `${DEFINITIONS_ID}#/definitions/${definition}` }) : undefined);
      }
    }
    return this.compiled.get(key);
  }

  /** The definition of a built-in kind in the Kubernetes 1.34 OpenAPI definitions, by group/version/kind. */
  private coreDefinition(apiVersion: string, kind: string): string | undefined {
    if (!this.definitions) {
      const doc = this.readJson(DEFINITIONS_FILE);
      const byGvk = new Map<string, string>();
      for (const [name, definition] of Object.entries<any>(doc.definitions)) {
        for (const gvk of definition['x-kubernetes-group-version-kind'] ?? []) {
          byGvk.set(`${gvk.group ? `${gvk.group}/` : ''}${gvk.version} ${gvk.kind}`, name);
        }
      }
      this.ajv.addSchema({ ...doc, $id: DEFINITIONS_ID });
      this.definitions = { byGvk };
    }
    return this.definitions.byGvk.get(`${apiVersion} ${kind}`);
  }

  private readJson(file: string): any {
    return JSON.parse(readFileSync(join(this.schemaDir, file), 'utf8'));
  }
}

function describe(error: ErrorObject): string {
  if (error.keyword === 'additionalProperties') return `unknown field '${error.params.additionalProperty}'`;
  if (error.keyword === 'enum') return `${error.message}: ${JSON.stringify(error.params.allowedValues)}`;
  return error.message ?? error.keyword;
}
