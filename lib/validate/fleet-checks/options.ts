/** Options of checkFleet. */
export interface FleetCheckOptions {
  /** Secrets that exist in the cluster already (besides those the VMs' annotation lists). @default - only those the annotations list */
  readonly externalSecrets?: readonly string[];
  /** PVCs and DataVolumes that exist in the cluster already (`NAME` or `NAMESPACE/NAME`; `DataSource/NAMESPACE/NAME` for DataSources). @default - only those the objects' annotations list */
  readonly externalVolumes?: readonly string[];
}
