import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { describe, expect, it } from 'vitest';
import { CoffeeAlarms, toCfnAlarmProps } from './cdk.ts';
import { buildAlarmDefinitions } from './definitions.ts';
import { ruleTextChildren } from '../dashboards/index.ts';
import { renderAlarmInputs } from './render-cloudwatch.ts';

describe('CoffeeAlarms', () => {
  const stack = new Stack(new App(), 'Monitoring', { env: { account: '123456789012', region: 'eu-west-1' } });
  const page = new Topic(stack, 'Page');
  const ticket = new Topic(stack, 'Ticket');
  const construct = new CoffeeAlarms(stack, 'Alarms', { prefix: 'coffee-prod', topics: { page, ticket } });
  const template = Template.fromStack(stack);
  const inputs = renderAlarmInputs(buildAlarmDefinitions({ prefix: 'coffee-prod' }));
  const logicalIdOf = (name: string) => stack.getLogicalId(construct.alarms.get(name)!);

  it('synthesizes every alarm of the build, metric and composite', () => {
    expect(Object.keys(template.findResources('AWS::CloudWatch::Alarm'))).toHaveLength(
      inputs.filter((i) => i.kind === 'metric').length,
    );
    expect(Object.keys(template.findResources('AWS::CloudWatch::CompositeAlarm'))).toHaveLength(
      inputs.filter((i) => i.kind === 'composite').length,
    );
    const burn = inputs.find((i) => i.input.AlarmName === 'coffee-prod-slo-menu-read-latency-burn-1h-fast')!;
    const resource = template.toJSON().Resources[logicalIdOf(burn.input.AlarmName!)];
    expect(resource.Properties.Metrics.map((m: { Id: string }) => m.Id)).toEqual(['burn_good', 'burn']);
    expect(resource.Properties.Metrics[0].MetricStat).toEqual({
      Metric: {
        Namespace: 'CoffeeCloud',
        MetricName: 'HttpRequestDuration',
        Dimensions: [
          { Name: 'Service', Value: 'coffee-cloud' },
          { Name: 'RouteGroup', Value: 'menu-read' },
        ],
      },
      Period: 3600,
      Stat: 'PR(:100)',
    });
    expect(resource.Properties.AlarmActions).toBeUndefined();
    expect(toCfnAlarmProps(burn.input as never).threshold).toBe(14.4);
  });

  it('notifies the topic of the alarm severity, and creates composites after their children', () => {
    const resources = template.toJSON().Resources;
    const pageComposite = resources[logicalIdOf('coffee-prod-slo-order-write-availability-page')];
    expect(pageComposite.Properties.AlarmActions).toEqual([
      { Ref: stack.getLogicalId(page.node.defaultChild as never) },
    ]);
    expect(pageComposite.Properties.OKActions).toEqual([{ Ref: stack.getLogicalId(page.node.defaultChild as never) }]);
    const ticketAlarm = resources[logicalIdOf('coffee-prod-latency-p99-order-write-ticket')];
    expect(ticketAlarm.Properties.AlarmActions).toEqual([
      { Ref: stack.getLogicalId(ticket.node.defaultChild as never) },
    ]);
    for (const composite of construct.compositeAlarms) {
      const json = resources[stack.getLogicalId(composite)];
      const children = ruleTextChildren(json.Properties.AlarmRule);
      expect([...json.DependsOn].sort()).toEqual(children.map(logicalIdOf).sort());
    }
  });
});
