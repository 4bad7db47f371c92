// The cdk8s validation plugin listed in cdk8s.yaml: `cdk8s synth` runs the checks of
// `npm run validate` on the manifests it writes, against the schemas shipped with the library
// (or the `schemas` property's folder, or $KUBEVIRT_RUNNERS_SCHEMAS), and fails on any finding.
// Plain CommonJS because cdk8s loads plugins with require().
//
// It also leaves the output folder as `kubectl apply -f` reads it: cdk8s-cli records
// construct-metadata.json there whenever cdk8s.yaml lists validations (CDK8S_RECORD_CONSTRUCT_METADATA,
// cdk8s-cli's synthApp; written by cdk8s's App.synth) and reads it into every plugin's context
// before the first plugin runs; kubectl would read it as an object without a kind and fail. This
// synth's copy (its resources are the objects just synthesized) is removed once read, and the folder
// is marked as the in-process synth marks its output, so that `npm run synth` may replace it.
const { readFileSync, existsSync, unlinkSync } = require('node:fs');
const { dirname, isAbsolute, join, relative, sep } = require('node:path');
const { findSchemaDir, readManifests, schemaDirProblem, validateManifests } = load('./index');
const { markOutput } = load('./output-folder');
const CONSTRUCT_METADATA = 'construct-metadata.json';

// Compiled JavaScript, or a runtime that already reads TypeScript (jest), loads ./index directly;
// from the TypeScript sources under plain node (cdk8s synth in this repository) tsx's require hook
// loads it. The hook is registered for the whole (short-lived) cdk8s process rather than through
// tsx's namespaced require, which would load a second copy of ajv next to the one ajv-draft-04 uses.
function load(module) {
  try {
    return require(module);
  } catch (error) {
    if (error.code !== 'MODULE_NOT_FOUND' || !String(error.message).includes(`'${module}'`)) throw error;
    require('tsx/cjs/api').register();
    return require(`${module}.ts`);
  }
}

/** The output folder cdk8s synthesized into: the folder all the manifests are in (cdk8s may write a folder per chart). */
function outputFolder(manifests) {
  const folders = manifests.map((m) => dirname(m));
  return folders.reduce((common, folder) => {
    while (folder !== common && !folder.startsWith(common + sep)) common = dirname(common);
    return common;
  }, folders[0]);
}

/** True when `file` is cdk8s's construct metadata of exactly these objects' names: this synth's. */
function isThisSynthsMetadata(file, names) {
  try {
    const metadata = JSON.parse(readFileSync(file, 'utf8'));
    const recorded = Object.keys(metadata?.resources ?? {});
    return metadata?.version === '1.0.0' && recorded.length > 0 && recorded.every((name) => names.has(name));
  } catch {
    return false;
  }
}

function tidyOutput(manifests, objectNames) {
  if (manifests.length === 0) return;
  const folder = outputFolder(manifests);
  const metadata = join(folder, CONSTRUCT_METADATA);
  if (existsSync(metadata) && isThisSynthsMetadata(metadata, objectNames)) unlinkSync(metadata);
  // Only a folder below the working folder: never the project itself, nor a temporary folder of --stdout.
  const inside = relative(process.cwd(), folder);
  if (inside !== '' && !inside.startsWith('..') && !isAbsolute(inside)) markOutput(folder);
}

class KubevirtRunnersValidation {
  constructor(properties) {
    this.properties = properties || {};
  }

  async validate(context) {
    const schemas = findSchemaDir(this.properties.schemas);
    const dir = schemas.dir;
    if (!dir) {
      // A folder that was asked for and is not there is a mistake to fix, never a silent pass.
      context.report.addViolation({
        ruleName: schemaDirProblem(schemas, "the plugin's 'schemas' property"),
        recommendation: 'nothing was validated',
        fix: 'correct that folder, or drop it to use the schemas shipped with cdk8s-kubevirt-runners',
        violatingResources: [],
      });
      context.report.submit('failure', { schemas: schemas.path });
      return;
    }
    const result = validateManifests(context.manifests, { schemaDir: dir });
    tidyOutput(context.manifests, new Set(readManifests(context.manifests).items.map((i) => i.object?.metadata?.name)));
    for (const finding of result.findings) {
      context.report.addViolation({
        ruleName: finding.message,
        recommendation: `fix ${finding.object} at ${finding.path || '/'}`,
        fix: 'see the message; npm run validate prints the same findings',
        violatingResources: [{ resourceName: finding.object, manifestPath: finding.file, locations: [finding.path || '/'] }],
      });
    }
    context.report.submit(result.findings.length === 0 ? 'success' : 'failure', {
      objects: String(result.objects),
      schemas: dir,
    });
  }
}

module.exports = { KubevirtRunnersValidation };
