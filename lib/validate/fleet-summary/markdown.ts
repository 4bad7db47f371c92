import { formatAmount, times } from './amount';
import { FleetSummary, RunnerCount, StorageLocation, VersionEntry } from './types';
import { RUNNER_RELEASES } from '../../private/versions';

/** The file `npm run synth` writes beside the manifests. */
export const FLEET_SUMMARY_FILE = 'FLEET.md';

function formatCount(count: RunnerCount): string {
  if (count.max === count.min) return String(count.min);
  return `${count.min}–${count.max ?? 'unbounded'}`;
}

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const code = (text: string) => `\`${text}\``;
const row = (cells: readonly string[]) => `| ${cells.map(cell).join(' | ')} |`;

const dated = (v: VersionEntry) => `${v.version} (${v.released ?? 'not in the library\'s table'})`;

/** What each fleet runs, with release dates, and a warning for each runner older than the newest the library knows. */
function versionLines(summary: FleetSummary): string[] {
  if (summary.versions.length === 0) return [];
  const lines = [
    '', '## Versions', '',
    row(['fleet', 'kind', 'runner', 'base image', 'scaled by', 'stays current by']),
    '|---|---|---|---|---|---|',
    ...summary.versions.map((v) => row([code(v.fleet), v.kind, v.runners.length > 0 ? v.runners.map(dated).join(', ') : '—',
      v.baseImages.length > 0 ? v.baseImages.join('; ') : '—', v.controller ? `${v.controller.name} ${dated(v.controller)}` : '—',
      v.updates.length > 0 ? v.updates.join('; ') : 'nothing: change the image to re-bake it'])),
    '',
    'Release dates are from the library\'s table (`npm run pins` in the library keeps it current). GitHub stops sending jobs',
    'to a runner that has not installed a new release within 30 days of its publication.',
  ];
  for (const w of summary.warnings) {
    lines.push('', `> **Warning:** \`${w.fleet}\` runs runner ${dated({ version: w.runner, released: RUNNER_RELEASES[w.runner]?.published })}, `
      + `older than ${dated({ version: w.newest, released: RUNNER_RELEASES[w.newest]?.published })}, the newest release this library knows: `
      + 'its runners stop getting jobs 30 days after a newer release unless they update themselves (per-job and warm-pool VMs boot a '
      + 'baked image and do not); pin a current release (or upgrade the library) and re-bake.');
  }
  return lines;
}

/** FLEET.md: the runners and the storage of every fleet, and the totals, as Markdown tables (deterministic: sorted, no dates). */
export function fleetMarkdown(summary: FleetSummary): string {
  const lines = [
    '# The fleet at a glance',
    '',
    'Computed from the synthesized objects by `npm run synth` (`kubevirt-runners-validate --summary` reads any manifests).',
    'Sizes are in binary units (1Gi = 1024Mi); "at most" is every fleet at its maximum number of runners.',
    'Memory is the guest\'s (KubeVirt adds an overhead per VM); a runner\'s disk is what it has for itself: volumes made',
    'per runner and, on the node\'s own storage, copy-on-write layers (at most the size of the image below them) and emptyDisks.',
    '',
    '## Runners',
    '',
  ];
  if (summary.fleets.length === 0) {
    lines.push('No runners: no VirtualMachine, VirtualMachinePool, AutoscalingRunnerSet or ScaledJob in the output.');
  } else {
    lines.push(
      row(['fleet', 'kind', 'runners', 'vCPU each', 'memory each', 'disk each', 'vCPU at most', 'memory at most', 'disk at most']),
      '|---|---|--:|--:|--:|--:|--:|--:|--:|',
      ...summary.fleets.map((f) => row([code(f.name), f.kind, formatCount(f.runners), formatAmount(f.vcpu, 'vcpu'), formatAmount(f.memory, 'bytes'),
        formatAmount(f.disk, 'bytes'), formatAmount(f.vcpuAtMost, 'vcpu'), formatAmount(f.memoryAtMost, 'bytes'), formatAmount(f.diskAtMost, 'bytes')])),
      row(['**total**', '', formatCount(summary.runners), '', '', '', formatAmount(summary.vcpuAtMost, 'vcpu'),
        formatAmount(summary.memoryAtMost, 'bytes'), formatAmount(summary.diskAtMost, 'bytes')]),
    );
  }
  lines.push(...versionLines(summary));
  lines.push('', '## Storage', '');
  if (summary.storage.length === 0) {
    lines.push('No volumes.');
  } else {
    lines.push(
      row(['used by', 'volume', 'what', 'on', 'size', 'count at most', 'at most']),
      '|---|---|---|---|--:|--:|--:|',
      ...summary.storage.map((s) => row([
        s.usedBy.length > 0 ? s.usedBy.map(code).join(', ') : '—', code(s.volume), s.what,
        s.location === StorageLocation.NODE ? 'node' : `PVC (${s.storage})`,
        formatAmount(s.size, 'bytes'), s.count === undefined ? 'unbounded' : String(s.count), formatAmount(times(s.size, s.count), 'bytes'),
      ])),
      row(['**total**', '', '', 'PVC', '', '', formatAmount(summary.volumesAtMost, 'bytes')]),
      row(['**total**', '', '', 'node', '', '', formatAmount(summary.nodeStorageAtMost, 'bytes')]),
    );
  }
  return `${lines.join('\n')}\n`;
}
