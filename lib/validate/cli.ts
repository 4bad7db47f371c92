#!/usr/bin/env node
// `npm run validate [-- PATH...] [--schemas DIR] [--external-secret NAME]... [--cloud-init-cli] [--summary]`
// Validates synthesized manifests (default: dist/) against the schemas shipped with the library, or
// those of --schemas DIR / $KUBEVIRT_RUNNERS_SCHEMAS. Exit 0 when clean, 1 on any finding, 2 when the
// schemas folder given is not one or the arguments are wrong: it never passes without having checked.
// --summary also prints the fleet at a glance (FLEET.md's tables) of the manifests read.
import { existsSync } from 'node:fs';
import { argsOrUsage, parseCommandLine, ValidationArgs } from './command-line';
import { formatFinding } from './finding';
import { findSchemaDir, schemaDirProblem } from './schema-dir';
import { fleetMarkdown, summarizeFleet } from './fleet-summary';
import { hasCloudInitCli, readManifests, validateManifests } from './index';

interface Args extends ValidationArgs {
  paths: string[];
  cloudInitCli: boolean;
  summary: boolean;
}

const USAGE = 'usage: npm run validate -- [PATH...] [--schemas DIR] [--external-secret NAME]... [--external-volume NAME]... [--cloud-init-cli] [--summary]';

function parseArgs(argv: string[]): Args {
  const args: Args = { paths: [], externalSecrets: [], externalVolumes: [], cloudInitCli: false, summary: false };
  parseCommandLine(argv, args, (arg) => {
    if (arg === '--cloud-init-cli') args.cloudInitCli = true;
    else if (arg === '--summary') args.summary = true;
    else return false;
    return true;
  }, (path) => args.paths.push(path));
  if (args.paths.length === 0) args.paths.push('dist');
  return args;
}

export function main(argv: string[]): number {
  const args = argsOrUsage(() => parseArgs(argv), USAGE);
  if (!args) return 2;
  const schemas = findSchemaDir(args.schemas);
  const dir = schemas.dir;
  if (!dir) {
    console.error(`validate: ${schemaDirProblem(schemas, '--schemas')}. Nothing was validated.`);
    return 2;
  }
  const missing = args.paths.filter((p) => !existsSync(p));
  if (missing.length > 0) {
    console.error(`validate: ${missing.join(', ')} not found${missing.includes('dist') ? ' (run npm run synth first)' : ''}`);
    return 2;
  }
  if (args.cloudInitCli && !hasCloudInitCli()) {
    console.error('validate: --cloud-init-cli needs the cloud-init command (apt-get install cloud-init)');
    return 2;
  }
  const result = validateManifests(args.paths, {
    schemaDir: dir, externalSecrets: args.externalSecrets, externalVolumes: args.externalVolumes, cloudInitCli: args.cloudInitCli,
  });
  for (const finding of result.findings) console.log(formatFinding(finding));
  if (args.summary && result.objects > 0) console.log(fleetMarkdown(summarizeFleet(readManifests(args.paths).items)));
  if (result.objects === 0) {
    console.error(`validate: no Kubernetes objects in ${args.paths.join(', ')}`);
    return 1;
  }
  const summary = `${result.objects} objects in ${result.files} files against ${dir}`;
  if (result.findings.length > 0) {
    console.error(`validate: ${result.findings.length} problems in ${summary}`);
    return 1;
  }
  console.log(`validate: ${summary}: all valid`);
  return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
