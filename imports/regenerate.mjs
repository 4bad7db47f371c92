#!/usr/bin/env node
// Regenerates imports/*.ts from the CRDs in ../shared/schemas/crds (run: `npm run import`).
//
// cdk8s import writes one file per API group, so every CRD of a group is joined into one
// multi-document YAML first (importing them one by one would overwrite earlier kinds).
// Only the versions we emit are kept: the deprecated kubevirt.io/v1alpha3 and the
// pool.kubevirt.io/v1alpha1 versions would double the generated code for nothing, and
// keeping one version per CRD gives every kind its plain class name (VirtualMachinePool = v1beta1).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments, stringify } from 'yaml';

const here = dirname(fileURLToPath(import.meta.url));
const crds = resolve(process.env.KUBEVIRT_RUNNERS_SCHEMAS ?? join(here, '..', '..', 'shared', 'schemas'), 'crds');
if (!existsSync(crds)) {
  console.error(`npm run import: no CRDs at ${crds} (set KUBEVIRT_RUNNERS_SCHEMAS to the schemas folder)`);
  process.exit(2);
}

const groups = {
  'kubevirt.io': ['kubevirt-v1.9.0/kubevirt.io_virtualmachines.yaml'],
  'pool.kubevirt.io': ['kubevirt-v1.9.0/pool.kubevirt.io_virtualmachinepools.yaml'],
  'instancetype.kubevirt.io': [
    'kubevirt-v1.9.0/instancetype.kubevirt.io_virtualmachineinstancetypes.yaml',
    'kubevirt-v1.9.0/instancetype.kubevirt.io_virtualmachineclusterinstancetypes.yaml',
    'kubevirt-v1.9.0/instancetype.kubevirt.io_virtualmachinepreferences.yaml',
    'kubevirt-v1.9.0/instancetype.kubevirt.io_virtualmachineclusterpreferences.yaml',
  ],
  'cdi.kubevirt.io': [
    'cdi-v1.66.0/cdi.kubevirt.io_datavolumes.yaml',
    'cdi-v1.66.0/cdi.kubevirt.io_datasources.yaml',
    'cdi-v1.66.0/cdi.kubevirt.io_dataimportcrons.yaml',
  ],
};
const dropVersions = new Set(['v1alpha3', 'v1alpha1']);

const work = mkdtempSync(join(tmpdir(), 'kubevirt-runners-import-'));
for (const [group, files] of Object.entries(groups)) {
  const docs = files.flatMap((file) =>
    parseAllDocuments(readFileSync(join(crds, file), 'utf8')).map((d) => d.toJS()).filter(Boolean));
  for (const crd of docs) {
    crd.spec.versions = crd.spec.versions.filter((v) => !dropVersions.has(v.name));
  }
  const joined = join(work, `${group}.yaml`);
  writeFileSync(joined, docs.map((d) => stringify(d)).join('---\n'));
  execFileSync('npx', ['cdk8s', 'import', joined, '--language', 'typescript', '--no-save', '--no-check-upgrade',
    '--output', here], { stdio: 'inherit', env: { ...process.env, CDK8S_CHECK_UPGRADE: 'false' } });
}
