import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { buildCloudWatchDashboards } from './build.ts';
import { CoffeeDashboards } from './cdk.ts';

describe('CoffeeDashboards', () => {
  it('synthesizes one AWS::CloudWatch::Dashboard per dashboard, with the body the build writes', () => {
    const options = {
      prefix: 'coffee-prod',
      region: 'eu-west-1',
      accountId: '123456789012',
      functionName: 'coffee-prod-api',
      tableName: 'coffee-prod',
      apiId: 'a1b2c3d4e5',
    };
    const stack = new Stack(new App(), 'Monitoring', { env: { account: '123456789012', region: 'eu-west-1' } });
    new CoffeeDashboards(stack, 'Dashboards', options);
    const resources = Object.values(Template.fromStack(stack).findResources('AWS::CloudWatch::Dashboard')) as {
      Properties: { DashboardName: string; DashboardBody: string };
    }[];
    const built = buildCloudWatchDashboards(options);
    expect(resources.map((r) => r.Properties.DashboardName)).toEqual(built.map((d) => d.name));
    for (const [i, r] of resources.entries()) expect(JSON.parse(r.Properties.DashboardBody)).toEqual(built[i]!.body);
  });

  it('takes the region and account of an environment-agnostic stack as CloudFormation references', () => {
    const stack = new Stack(new App(), 'Agnostic');
    new CoffeeDashboards(stack, 'Dashboards');
    const [slo] = Object.values(
      Template.fromStack(stack).findResources('AWS::CloudWatch::Dashboard', {
        Properties: { DashboardName: 'coffee-cloud-slo' },
      }),
    ) as {
      Properties: { DashboardBody: unknown };
    }[];
    const text = JSON.stringify(slo!.Properties.DashboardBody);
    expect(text).toContain('Fn::Join');
    expect(text).toContain('AWS::Region');
    expect(text).toContain('AWS::AccountId');
  });
});
