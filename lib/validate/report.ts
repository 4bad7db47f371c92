import { Finding, formatFinding, ManifestObject, objectLabel } from './finding';

/** Records a finding at a JSON path of the object a rule is looking at. */
export type Report = (path: string, message: string) => void;

/** A Report that adds findings about `item` to `findings`. */
export function reporterFor(findings: Finding[], item: ManifestObject): Report {
  return (path, message) => findings.push({ file: item.file, object: objectLabel(item.object), path, message });
}

/** Where a finding would point: `file: Kind/name: /path`. */
export function placeOf(file: string, object: any, path: string): string {
  return formatFinding({ file, object: objectLabel(object), path, message: '' }).slice(0, -2);
}
