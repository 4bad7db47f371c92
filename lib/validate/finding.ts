/** One problem found in a manifest: where it is and what is wrong. */
export interface Finding {
  /** The manifest file, as given. */
  readonly file: string;
  /** `Kind/name` of the object, or `-` for the file itself. */
  readonly object: string;
  /** JSON path inside the object, e.g. `/spec/template/spec/volumes/2`. */
  readonly path: string;
  /** What is wrong. */
  readonly message: string;
}

/** A synthesized object with the file it came from. */
export interface ManifestObject {
  /** The file the object was read from. */
  readonly file: string;
  /** The object, as parsed. */
  readonly object: any;
}

export function objectLabel(object: any): string {
  return `${object?.kind ?? '?'}/${object?.metadata?.name ?? '?'}`;
}

export function formatFinding(finding: Finding): string {
  return `${finding.file}: ${finding.object}: ${finding.path || '/'}: ${finding.message}`;
}
