// The fleet at a glance: how many runners each fleet runs, how big each runner is, what the fleet
// needs at its maximum, and the storage behind it, read from the synthesized objects alone (so it
// works as well for hand-edited YAML). `npm run synth` writes it to dist/FLEET.md.
// summarize.ts reads the objects (a file per kind that makes runners, volumes.ts for their storage),
// totals.ts adds up, markdown.ts renders.

export type { Amount } from './amount';
export { formatAmount, formatGi } from './amount';
export { FLEET_SUMMARY_FILE, fleetMarkdown } from './markdown';
export { summarizeFleet } from './summarize';
export * from './types';
