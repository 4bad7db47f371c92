// The cdk8s validation plugin listed in cdk8s.yaml: `cdk8s synth` runs the checks of
// `npm run validate` on the manifests it writes, against the schemas shipped with the library
// (or the `schemas` property's folder, or $KUBEVIRT_RUNNERS_SCHEMAS), and fails on any finding.
// Plain CommonJS because cdk8s loads plugins with require().
const { findSchemaDir, schemaDirProblem, validateManifests } = loadChecks();

// Compiled JavaScript, or a runtime that already reads TypeScript (jest), loads ./index directly;
// from the TypeScript sources under plain node (cdk8s synth in this repository) tsx's require hook
// loads it. The hook is registered for the whole (short-lived) cdk8s process rather than through
// tsx's namespaced require, which would load a second copy of ajv next to the one ajv-draft-04 uses.
function loadChecks() {
  try {
    return require('./index');
  } catch (error) {
    if (error.code !== 'MODULE_NOT_FOUND' || !String(error.message).includes("'./index'")) throw error;
    require('tsx/cjs/api').register();
    return require('./index.ts');
  }
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
