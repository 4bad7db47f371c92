#!/usr/bin/env node
// Builds lib/validate/schemas/ — the schemas the validator ships with — from ../shared/schemas
// (run: `npm run schemas`; `npm run schemas -- --check` only compares; `--from DIR` reads another
// copy of ../shared/schemas). The package carries only what the library validates, minified, so
// that validation works in any project without ../shared and the package stays small.
// Node built-ins only: it must run before anything else is set up.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const OUT = join(HERE, 'schemas');
const DEFAULT_FROM = resolve(HERE, '..', '..', '..', 'shared', 'schemas');
const INDEX_FILE = 'kinds.json';

// The kinds the validator knows, one line each; source is relative to ../shared/schemas.
const KINDS = [
  { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachine', source: 'jsonschema/kubevirt.io/virtualmachine_v1.json' },
  { apiVersion: 'cdi.kubevirt.io/v1beta1', kind: 'DataVolume', source: 'jsonschema/cdi.kubevirt.io/datavolume_v1beta1.json' },
  { apiVersion: 'v1', kind: 'Secret', source: 'kubernetes/v1.34.0/secret-v1.json' },
  { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance', source: 'jsonschema/kubevirt.io/virtualmachineinstance_v1.json' },
  { apiVersion: 'actions.github.com/v1alpha1', kind: 'AutoscalingRunnerSet', source: 'jsonschema/actions.github.com/autoscalingrunnerset_v1alpha1.json' },
  { apiVersion: 'v1', kind: 'ConfigMap', source: 'kubernetes/v1.34.0/configmap-v1.json' },
  { apiVersion: 'v1', kind: 'ServiceAccount', source: 'kubernetes/v1.34.0/serviceaccount-v1.json' },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', source: 'kubernetes/v1.34.0/role-rbac-v1.json' },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', source: 'kubernetes/v1.34.0/rolebinding-rbac-v1.json' },
  { apiVersion: 'batch/v1', kind: 'CronJob', source: 'kubernetes/v1.34.0/cronjob-batch-v1.json' },
  { apiVersion: 'batch/v1', kind: 'Job', source: 'kubernetes/v1.34.0/job-batch-v1.json' },
  { apiVersion: 'pool.kubevirt.io/v1beta1', kind: 'VirtualMachinePool', source: 'jsonschema/pool.kubevirt.io/virtualmachinepool_v1beta1.json' },
  { apiVersion: 'keda.sh/v1alpha1', kind: 'ScaledJob', source: 'jsonschema/keda.sh/scaledjob_v1alpha1.json' },
  { apiVersion: 'keda.sh/v1alpha1', kind: 'TriggerAuthentication', source: 'jsonschema/keda.sh/triggerauthentication_v1alpha1.json' },
  { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', source: 'kubernetes/v1.34.0/networkpolicy-networking-v1.json' },
  // Not emitted by the library: the namespace its docs show how to create beside a fleet.
  { apiVersion: 'v1', kind: 'Namespace', source: 'kubernetes/v1.34.0/_definitions.json', definition: 'io.k8s.api.core.v1.Namespace' },
];

// A kind with a `definition` has no file of its own in ../shared/schemas: it is made here from
// Kubernetes' _definitions.json by the rules the standalone-strict files beside it were made with
// (every $ref inlined; every object with properties closed, the root included). Those rules must
// reproduce this file from its definition, or the made schema would not be one of theirs.
const STANDALONE_STRICT_CHECK = { definition: 'io.k8s.api.core.v1.Secret', file: 'kubernetes/v1.34.0/secret-v1.json' };

// Not a Kubernetes kind: the schema of the cloud-config inside the Secrets (lib/validate/cloud-config.ts).
const CLOUD_CONFIG = { validates: 'cloud-config user-data', source: 'cloud-init/26.2/schema-cloud-config-v1.json' };

// Where each folder of ../shared/schemas comes from (see its SOURCES.md), and where its files go:
// the kubeconform layout without the version folders, which SOURCES.md records instead. ARC and
// KEDA are listed so that adding one of their kinds stays a one-line change to KINDS.
const UPSTREAMS = [
  {
    name: 'KubeVirt', repo: 'kubevirt/kubevirt', version: 'v1.9.0', commit: '79d34c1762169e5b0370ec491cef5ca12e6b504c',
    made: "the CRD's openAPIV3Schema, converted with kubeconform's openapi2jsonschema rules",
    license: 'Apache-2.0', licenseFiles: ['Apache-2.0.txt'],
    folders: { 'jsonschema/kubevirt.io/': 'kubevirt.io/', 'jsonschema/pool.kubevirt.io/': 'pool.kubevirt.io/', 'jsonschema/instancetype.kubevirt.io/': 'instancetype.kubevirt.io/' },
  },
  {
    name: 'CDI', repo: 'kubevirt/containerized-data-importer', version: 'v1.66.0', commit: '938af7c54b2491321156bad2daa707b54bbdb214',
    made: "the CRD's openAPIV3Schema, converted with kubeconform's openapi2jsonschema rules",
    license: 'Apache-2.0', licenseFiles: ['Apache-2.0.txt'],
    folders: { 'jsonschema/cdi.kubevirt.io/': 'cdi.kubevirt.io/' },
  },
  {
    name: 'Kubernetes', repo: 'cdk8s-team/cdk8s (kubernetes-schemas/v1.34.0/_definitions.json)', version: '1.34.0', commit: '71f8cba7ecc809d861e837e842217202d5e5a16c',
    made: 'standalone-strict: one definition with every $ref inlined and every object closed',
    license: 'Apache-2.0', licenseFiles: ['Apache-2.0.txt'],
    folders: { 'kubernetes/v1.34.0/': 'kubernetes/' },
  },
  {
    name: 'cloud-init', repo: 'canonical/cloud-init (cloudinit/config/schemas/)', version: '26.2', commit: '0578e3b752afe67d8366300841e1252cb987f91f',
    made: 'verbatim',
    license: 'GPL-3.0 or Apache-2.0, your choice', licenseFiles: ['cloud-init-LICENSE.txt', 'Apache-2.0.txt'],
    folders: { 'cloud-init/26.2/': 'cloud-init/' },
  },
  {
    name: 'Actions Runner Controller', repo: 'actions/actions-runner-controller', version: 'gha-runner-scale-set-0.14.2', commit: '9bb16ae49d0ce585d8e682aa7e2668a6e832d5d8',
    made: "the CRD's openAPIV3Schema, converted with kubeconform's openapi2jsonschema rules",
    license: 'Apache-2.0', licenseFiles: ['actions-runner-controller-LICENSE.txt'],
    folders: { 'jsonschema/actions.github.com/': 'actions.github.com/' },
  },
  {
    name: 'KEDA', repo: 'kedacore/keda', version: 'v2.20.2', commit: '68a5b5028f35b22d50597c69819ab32c4e92f21a',
    made: "the CRD's openAPIV3Schema, converted with kubeconform's openapi2jsonschema rules",
    license: 'Apache-2.0', licenseFiles: ['keda-LICENSE.txt'],
    folders: { 'jsonschema/keda.sh/': 'keda.sh/' },
  },
];

function main(argv) {
  const { check, from } = parseArgs(argv);
  const files = generate(from);
  if (check) return checkFolder(files);
  rmSync(OUT, { recursive: true, force: true });
  for (const [file, content] of files) {
    mkdirSync(dirname(join(OUT, file)), { recursive: true });
    writeFileSync(join(OUT, file), content);
  }
  console.log(`npm run schemas: wrote ${files.size} files to ${relative(process.cwd(), OUT) || '.'} from ${from}`);
  return 0;
}

function parseArgs(argv) {
  const args = { check: false, from: DEFAULT_FROM };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--check') args.check = true;
    else if (argv[i] === '--from' && i + 1 < argv.length) args.from = resolve(argv[++i]);
    else throw new Error(`npm run schemas: unknown argument '${argv[i]}' (usage: npm run schemas -- [--check] [--from DIR])`);
  }
  return args;
}

/** Every file of the schemas folder, relative path -> content, in a fixed order. */
function generate(from) {
  if (!existsSync(from)) throw new Error(`npm run schemas: no schemas folder at ${from} (../shared/schemas; or pass --from DIR)`);
  const entries = [...KINDS.map((k) => ({ ...k, validates: `${k.apiVersion} ${k.kind}` })), CLOUD_CONFIG].map((entry) => {
    const upstream = upstreamOf(entry.source);
    const text = readSource(from, entry.source);
    if (entry.kind) checkKindMatchesSource(entry);
    const target = entry.definition ? targetOf(`${dirname(entry.source)}/${kubernetesFileName(entry)}`, upstream) : targetOf(entry.source, upstream);
    return { ...entry, upstream, target, text };
  });
  if (entries.some((e) => e.definition)) checkStandaloneStrict(from);
  const files = new Map();
  for (const entry of entries) {
    files.set(entry.target, entry.definition ? JSON.stringify(standaloneStrict(entry.text, entry.definition)) : minify(entry.text, entry.source));
  }
  files.set(INDEX_FILE, `${JSON.stringify(Object.fromEntries(entries.filter((e) => e.kind).map((e) => [e.validates, e.target])), null, 2)}\n`);
  const licenses = [...new Set(entries.flatMap((e) => e.upstream.licenseFiles))].sort();
  for (const license of licenses) files.set(`LICENSES/${license}`, readSource(from, `LICENSES/${license}`));
  files.set('SOURCES.md', sourcesMarkdown(entries, licenses));
  return files;
}

function readSource(from, source) {
  const path = join(from, source);
  if (!existsSync(path)) throw new Error(`npm run schemas: ${source} is not in ${from}`);
  return readFileSync(path, 'utf8');
}

function upstreamOf(source) {
  const upstream = UPSTREAMS.find((u) => Object.keys(u.folders).some((folder) => source.startsWith(folder)));
  if (!upstream) throw new Error(`npm run schemas: no upstream known for '${source}': add its folder to UPSTREAMS`);
  return upstream;
}

function targetOf(source, upstream) {
  const folder = Object.keys(upstream.folders).find((f) => source.startsWith(f));
  return upstream.folders[folder] + source.slice(folder.length);
}

// The Kubernetes layout's name of a kind's file: secret-v1.json, role-rbac-v1.json.
function kubernetesFileName({ apiVersion, kind }) {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  return `${[kind.toLowerCase(), group.split('.')[0], version].filter(Boolean).join('-')}.json`;
}

/** `definitions[name]` of a _definitions.json text as a standalone-strict schema. */
function standaloneStrict(definitionsText, name) {
  const definitions = JSON.parse(definitionsText).definitions;
  if (!definitions?.[name]) throw new Error(`npm run schemas: no definition ${name} in _definitions.json`);
  const inline = (node) => {
    if (Array.isArray(node)) return node.map(inline);
    if (node === null || typeof node !== 'object') return node;
    if (typeof node.$ref === 'string') {
      const { $ref, ...rest } = node;
      return inline({ ...definitions[$ref.replace('#/definitions/', '')], ...rest });
    }
    const out = Object.fromEntries(Object.entries(node).map(([key, value]) => [key, inline(value)]));
    if (out.properties && out.additionalProperties === undefined) out.additionalProperties = false;
    return out;
  };
  return inline(definitions[name]);
}

function checkStandaloneStrict(from) {
  const { definition, file } = STANDALONE_STRICT_CHECK;
  const made = standaloneStrict(readSource(from, 'kubernetes/v1.34.0/_definitions.json'), definition);
  if (canonical(made) !== canonical(JSON.parse(readSource(from, file)))) {
    throw new Error(`npm run schemas: the standalone-strict rules no longer make ${file} from ${definition}: fix standaloneStrict() before making a schema with it`);
  }
}

/** JSON with every object's keys sorted: equal for JSON-equal values. */
function canonical(value) {
  return JSON.stringify(value, (_key, v) => (v && typeof v === 'object' && !Array.isArray(v)
    ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, v[k]])) : v));
}

// Both layouts name a file after the lowercased kind and its version (virtualmachine_v1.json,
// secret-v1.json): a kind paired with another kind's file is a typo caught here, not a wrong verdict later.
function checkKindMatchesSource({ apiVersion, kind, source, definition }) {
  const version = apiVersion.split('/').pop();
  if (definition) {
    if (!definition.endsWith(`.${version}.${kind}`)) throw new Error(`npm run schemas: '${apiVersion} ${kind}' does not match its definition '${definition}'`);
    return;
  }
  const name = basename(source, '.json');
  const named = name.startsWith(`${kind.toLowerCase()}_`) || name.startsWith(`${kind.toLowerCase()}-`);
  if (!named || !name.endsWith(version)) {
    throw new Error(`npm run schemas: '${apiVersion} ${kind}' does not match its source '${source}'`);
  }
}

// The validator parses the schema anyway: whitespace is all that changes (the result is JSON-equal).
function minify(text, source) {
  try {
    return JSON.stringify(JSON.parse(text));
  } catch (error) {
    throw new Error(`npm run schemas: ${source} is not valid JSON: ${error.message}`);
  }
}

function sha256(text) {
  return createHash('sha256').update(text).digest('hex');
}

function sourcesMarkdown(entries, licenses) {
  const made = (e) => (e.definition ? `${e.upstream.made}, made by this script from \`definitions["${e.definition}"]\`` : e.upstream.made);
  const rows = entries.map((e) => `| \`${e.target}\` | ${e.validates} | ${e.upstream.name}: ${e.upstream.repo} | `
    + `${e.upstream.version} (${e.upstream.commit}) | ${made(e)} | \`${e.source}\` | \`${sha256(e.text)}\` | ${e.upstream.license} |`);
  return `# Schemas shipped with cdk8s-kubevirt-runners

Generated by \`npm run schemas\` (lib/validate/generate-schemas.mjs) from ../shared/schemas; do not
edit by hand. Each schema is its source file without whitespace (JSON-equal to it); \`${INDEX_FILE}\`
maps "apiVersion Kind" to the schema the validator uses. \`npm run schemas -- --check\` fails when
this folder differs from what the script writes.

| file | validates | upstream | version (commit) | made from upstream as | source in ../shared/schemas | sha256 of the source | license |
|---|---|---|---|---|---|---|---|
${rows.join('\n')}

License texts: ${licenses.map((l) => `\`LICENSES/${l}\``).join(', ')} (copied from ../shared/schemas/LICENSES).
`;
}

/** Compares the committed folder with `files`; lists every difference. */
function checkFolder(files) {
  const present = existsSync(OUT) ? listFiles(OUT) : [];
  const problems = [
    ...[...files.keys()].filter((f) => !present.includes(f)).map((f) => `missing: ${f}`),
    ...present.filter((f) => !files.has(f)).map((f) => `not generated: ${f}`),
    ...present.filter((f) => files.has(f) && readFileSync(join(OUT, f), 'utf8') !== files.get(f)).map((f) => `differs: ${f}`),
  ];
  if (problems.length === 0) {
    console.log(`npm run schemas -- --check: ${relative(process.cwd(), OUT) || '.'} is up to date (${files.size} files)`);
    return 0;
  }
  console.error(`npm run schemas -- --check: ${OUT} is not what npm run schemas writes; run it and commit the result:\n  ${problems.join('\n  ')}`);
  return 1;
}

function listFiles(dir, prefix = '') {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => d.isDirectory()
    ? listFiles(join(dir, d.name), `${prefix}${d.name}/`)
    : [`${prefix}${d.name}`]).sort();
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (error) {
  console.error(error.message);
  process.exitCode = 2;
}
