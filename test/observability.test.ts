import { readFileSync } from 'node:fs';
import { join } from 'node:path';

// The Grafana dashboard the package ships (lib/observability/grafana-dashboard.json) against the
// metrics docs/08-operations.md lists, each checked by name against ARC's and KubeVirt's sources
// there: every metric a panel queries is one the page lists, and every metric the page lists is on a
// panel, so neither can drift from the other. And the JSON is a dashboard Grafana imports: a
// schemaVersion, a Prometheus data source variable every query uses, panels with PromQL targets.

const ROOT = join(__dirname, '..');
const dashboard = JSON.parse(readFileSync(join(ROOT, 'lib', 'observability', 'grafana-dashboard.json'), 'utf8'));
const page = readFileSync(join(ROOT, 'docs', '08-operations.md'), 'utf8');

/** The first column of the metrics table in the section "What happened to the last job". */
function documentedMetrics(): string[] {
  const section = page.slice(page.indexOf('## What happened to the last job'));
  const lines = section.split('\n');
  const header = lines.findIndex((l) => l.startsWith('| metric |'));
  const rows = lines.slice(header + 2);
  return rows.slice(0, rows.findIndex((l) => !l.startsWith('|'))).map((l) => /^\| `([^`]+)` \|/.exec(l)![1]);
}

const queryPanels = (): any[] => dashboard.panels.filter((p: any) => p.type !== 'row');
const expressions = (): string[] => queryPanels().flatMap((p) => p.targets.map((t: any) => t.expr as string));

/** The metric names an expression selects: ARC's gha_*, KubeVirt's kubevirt_* and its recording rules; a histogram's series as the histogram. */
function metricsOf(expr: string): string[] {
  const names = expr.replace(/\{[^}]*\}/g, '{}').match(/(?<![\w:])(?:[a-z]+:)?(?:gha|kubevirt)_[a-z_]+(?::[a-z]+)?/g) ?? [];
  return names.map((name) => name.replace(/_(bucket|sum|count)$/, ''));
}

describe('the shipped Grafana dashboard', () => {
  test('queries exactly the metrics docs/08 lists', () => {
    const documented = documentedMetrics();
    expect(documented.length).toBeGreaterThanOrEqual(10);
    expect(new Set(documented).size).toBe(documented.length);
    const queried = new Set(expressions().flatMap(metricsOf));
    expect([...queried].sort()).toEqual([...documented].sort());
  });

  test('metricsOf reads names, recording rules and histogram series, not labels or functions', () => {
    expect(metricsOf('histogram_quantile(0.5, sum by (le) (rate(gha_job_startup_duration_seconds_bucket{namespace="x"}[5m])))')).toEqual(['gha_job_startup_duration_seconds']);
    expect(metricsOf('sum by (node, phase) (node:kubevirt_vmi_phase:sum)')).toEqual(['node:kubevirt_vmi_phase:sum']);
    expect(metricsOf('count by (phase) (kubevirt_vmi_info{namespace=~"$namespace", phase="kubevirt_x"})')).toEqual(['kubevirt_vmi_info']);
  });

  test('is a dashboard Grafana imports: schemaVersion, a Prometheus data source variable that every query uses, panels with PromQL targets', () => {
    expect(dashboard).toMatchObject({ title: expect.any(String), uid: expect.stringMatching(/^[\w-]{1,40}$/), schemaVersion: expect.any(Number), panels: expect.any(Array) });
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
    expect(dashboard.id).toBeUndefined();
    const variables = dashboard.templating.list;
    expect(variables).toContainEqual(expect.objectContaining({ name: 'datasource', type: 'datasource', query: 'prometheus' }));
    const names = new Set(variables.map((v: any) => v.name));
    const ids = new Set<number>();
    for (const panel of dashboard.panels) {
      expect(panel).toMatchObject({ id: expect.any(Number), type: expect.any(String), title: expect.any(String) });
      expect(ids.has(panel.id)).toBe(false);
      ids.add(panel.id);
      const { x, y, w, h } = panel.gridPos;
      expect([x, y, w, h].every(Number.isInteger) && x >= 0 && w >= 1 && x + w <= 24 && h >= 1).toBe(true);
    }
    for (const panel of queryPanels()) {
      expect(panel.datasource).toEqual({ type: 'prometheus', uid: '${datasource}' });
      expect(panel.targets.length).toBeGreaterThanOrEqual(1);
      expect(new Set(panel.targets.map((t: any) => t.refId)).size).toBe(panel.targets.length);
      for (const target of panel.targets) {
        expect(target.datasource).toEqual(panel.datasource);
        expect(target.expr).toMatch(/\S/);
        // Balanced brackets, and only variables the dashboard defines (or Grafana's own).
        for (const [open, close] of [['(', ')'], ['{', '}'], ['[', ']']]) expect(target.expr.split(open).length).toBe(target.expr.split(close).length);
        for (const [, variable] of target.expr.matchAll(/\$(\w+)/g)) expect(names.has(variable) || variable.startsWith('__')).toBe(true);
      }
    }
  });
});
