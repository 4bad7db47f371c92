import { isDnsLabel, isDnsSubdomain, isLabelValue, isQualifiedName } from '../../private/names';
import { arrayAt, pointer } from '../manifest-values';
import { Report } from '../report';
import { isRbacName } from './rbac';

// Object metadata: what the API server checks of every object's name, namespace, labels and
// annotations, and the labels KubeVirt reserves on a VM's template.

interface MetaRules {
  /** Metadata without a name of its own (a VM's template): only labels and annotations apply. */
  readonly nameless?: boolean;
  /** The kind's name rule: a DNS subdomain (most kinds), a DNS label (Namespace) or a path segment (RBAC kinds). @default 'subdomain' */
  readonly names?: 'subdomain' | 'label' | 'path-segment';
}

const ANNOTATIONS_MAX_BYTES = 256 * 1024;

// k8s.io/apimachinery/pkg/api/validation/objectmeta.go ValidateObjectMetaAccessor, with the name rule
// of these kinds: NameIsDNSSubdomain for Secrets (kubernetes pkg/apis/core/validation/validation.go
// ValidateSecretName) and for custom resources (k8s.io/apiextensions-apiserver
// pkg/registry/customresource/validator.go customResourceValidator.Validate); namespaces, and a
// Namespace's own name, are DNS labels (ValidateNamespaceName); labels by ValidateLabels, annotations
// by ValidateAnnotations; RBAC kinds' names by ValidateRBACName (path.ValidatePathSegmentName).
export function checkObjectMeta(metadata: any, at: string, report: Report, rules: MetaRules = {}): void {
  if (!rules.nameless) {
    const name = metadata?.name;
    if (name === undefined || name === '') {
      if (!metadata?.generateName) report(`${at}/name`, 'metadata.name is required (the API server rejects an object without a name)');
    } else if (rules.names === 'label') {
      if (!isDnsLabel(name)) report(`${at}/name`, `name ${JSON.stringify(name)} is not a DNS-1123 label (lower-case letters, digits and '-', at most 63 characters)`);
    } else if (rules.names === 'path-segment') {
      if (!isRbacName(name)) report(`${at}/name`, `name ${JSON.stringify(name)} may not be '.' or '..' nor contain '/' or '%'`);
    } else if (!isDnsSubdomain(name)) {
      report(`${at}/name`, `name ${JSON.stringify(name)} is not a DNS-1123 subdomain (lower-case letters, digits, '-' and '.', at most 253 characters)`);
    }
    const namespace = metadata?.namespace;
    if (namespace !== undefined && !isDnsLabel(namespace)) {
      report(`${at}/namespace`, `namespace ${JSON.stringify(namespace)} is not a DNS-1123 label (lower-case letters, digits and '-', at most 63 characters)`);
    }
  }
  for (const [key, value] of Object.entries(metadata?.labels ?? {})) {
    if (!isQualifiedName(key)) report(`${at}/labels`, `label key ${JSON.stringify(key)} is not a qualified name ([prefix/]name, name at most 63 characters)`);
    if (!isLabelValue(value)) report(`${at}/labels/${pointer(key)}`, `label value ${JSON.stringify(value)} is not valid (at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit)`);
  }
  const annotations = metadata?.annotations ?? {};
  let bytes = 0;
  for (const [key, value] of Object.entries(annotations)) {
    if (!isQualifiedName(key.toLowerCase())) report(`${at}/annotations`, `annotation key ${JSON.stringify(key)} is not a qualified name ([prefix/]name, name at most 63 characters)`);
    bytes += Buffer.byteLength(key) + Buffer.byteLength(String(value));
  }
  if (bytes > ANNOTATIONS_MAX_BYTES) report(`${at}/annotations`, `annotations take ${bytes} bytes; the API server accepts at most ${ANNOTATIONS_MAX_BYTES}`);
  if (!rules.nameless) checkFinalizersAndOwners(metadata, at, report);
}

// objectmeta.go ValidateFinalizers (each a qualified name, no duplicates) and ValidateOwnerReferences
// (apiVersion, kind, name and uid required).
function checkFinalizersAndOwners(metadata: any, at: string, report: Report): void {
  const seen = new Set<unknown>();
  arrayAt(metadata?.finalizers).forEach((finalizer: unknown, i: number) => {
    if (!isQualifiedName(finalizer)) report(`${at}/finalizers/${i}`, `finalizer ${JSON.stringify(finalizer)} is not a qualified name ([prefix/]name)`);
    if (seen.has(finalizer)) report(`${at}/finalizers/${i}`, `finalizer ${JSON.stringify(finalizer)} is listed twice`);
    seen.add(finalizer);
  });
  arrayAt(metadata?.ownerReferences).forEach((owner: any, i: number) => {
    for (const field of ['apiVersion', 'kind', 'name', 'uid']) {
      if (typeof owner?.[field] !== 'string' || owner[field] === '') report(`${at}/ownerReferences/${i}/${field}`, `an owner reference needs ${field}`);
    }
  });
}

// KubeVirt vmi-create-admitter.go ValidateVirtualMachineInstanceMetadata (restrictedVmiLabels): the
// VM's template becomes the VMI, and only KubeVirt's service accounts may set these labels on one.
const RESTRICTED_VMI_LABELS = [
  'kubevirt.io/created-by', 'kubevirt.io/migrationJobUID', 'kubevirt.io/nodeName', 'kubevirt.io/migrationTargetNodeName',
  'kubevirt.io/schedulable', 'kubevirt.io/install-strategy',
];

export function checkRestrictedLabels(labels: any, report: Report): void {
  for (const key of Object.keys(labels ?? {})) {
    if (RESTRICTED_VMI_LABELS.includes(key)) {
      report(`/spec/template/metadata/labels/${pointer(key)}`, `label ${key} is reserved for KubeVirt: the VM's VMI would be rejected when it starts`);
    }
  }
}
