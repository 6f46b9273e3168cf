/**
 * The dashboards as a CDK construct: one `AWS::CloudWatch::Dashboard` per dashboard, whose
 * body is exactly `buildCloudWatchDashboards(options)`'s for the same options. The region
 * and account default to the stack's (tokens are resolved by CloudFormation).
 */
import { Stack } from 'aws-cdk-lib';
import { CfnDashboard } from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import { buildCloudWatchDashboards } from './build.ts';
import type { MonitoringOptions } from './model.ts';

export type CoffeeDashboardsProps = MonitoringOptions;

export class CoffeeDashboards extends Construct {
  /** The dashboards, by name. */
  readonly dashboards: ReadonlyMap<string, CfnDashboard>;

  constructor(scope: Construct, id: string, props: CoffeeDashboardsProps = {}) {
    super(scope, id);
    const stack = Stack.of(this);
    const options: MonitoringOptions = { region: stack.region, accountId: stack.account, ...props };
    const dashboards = new Map<string, CfnDashboard>();
    for (const { name, body } of buildCloudWatchDashboards(options)) {
      dashboards.set(
        name,
        new CfnDashboard(this, name, {
          dashboardName: name,
          // toJsonString keeps tokens (region, account, ids from other constructs) resolvable.
          dashboardBody: stack.toJsonString(body),
        }),
      );
    }
    this.dashboards = dashboards;
  }
}
