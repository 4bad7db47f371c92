/** A problem in a cloud-config, with its JSON path. */
export interface CloudConfigProblem {
  /** JSON path inside the cloud-config. */
  readonly path: string;
  /** What is wrong. */
  readonly message: string;
}
