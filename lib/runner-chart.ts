import { Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { RunnerPool } from './runner-pool';
import { resolveChart, RunnerChartProps } from './spec/chart';

/**
 * A chart holding a complete fleet: one RunnerPool with its cloud-config Secret, golden image and
 * VMs, from one props object. The usual entry point: `new RunnerChart(app, 'runners', {...})`.
 */
export class RunnerChart extends Chart {
  /** The fleet. */
  public readonly pool: RunnerPool;

  constructor(scope: Construct, id: string, props: RunnerChartProps) {
    super(scope, id, { namespace: props.namespace ?? 'default' });
    this.pool = new RunnerPool(this, 'Pool', resolveChart(props));
  }
}
