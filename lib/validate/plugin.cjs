// The cdk8s validation plugin listed in cdk8s.yaml: `cdk8s synth` runs the checks of
// `npm run validate` on the manifests it writes and fails on any finding. Without schemas (a
// fresh machine without ../shared) it says so and lets synth finish.
// Plain CommonJS because cdk8s loads plugins with require().
const { findSchemaDir, validateManifests, SCHEMAS_ENV } = loadChecks();

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
    const { dir, tried } = findSchemaDir(this.properties.schemas);
    if (!dir) {
      context.logger.log(`kubevirt-runners validation skipped: no schemas found (tried ${tried.join(', ')}); `
        + `set ${SCHEMAS_ENV} or run npm run validate -- --schemas DIR`);
      context.report.submit('success', { skipped: 'no schemas found' });
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
