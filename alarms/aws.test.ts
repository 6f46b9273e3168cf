import {
  CloudWatchClient,
  DeleteAlarmsCommand,
  DescribeAlarmsCommand,
  PutCompositeAlarmCommand,
  PutMetricAlarmCommand,
  type CompositeAlarm,
  type MetricAlarm,
} from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { UsageError } from '../cli/index.ts';
import type { CommandIo } from '../cli/index.ts';
import { ruleTextChildren } from '../dashboards/index.ts';
import { diffCommand, importCommand } from './commands.ts';
import { buildAlarmDefinitions } from './definitions.ts';
import { renderAlarmInputs } from './render-cloudwatch.ts';

const topicArns = { page: 'arn:aws:sns:eu-west-1:123456789012:page' };
const options = { prefix: 'coffee-test', region: 'eu-west-1', topicArns };
const inputs = renderAlarmInputs(buildAlarmDefinitions(options), { topicArns });
const cw = mockClient(CloudWatchClient);
const client = () =>
  new CloudWatchClient({ region: 'eu-west-1', credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test' } });

function capture(): CommandIo & { outLines: string[]; errLines: string[] } {
  const outLines: string[] = [];
  const errLines: string[] = [];
  return { outLines, errLines, out: (l) => outLines.push(l), err: (l) => errLines.push(l) };
}

/** What DescribeAlarms answers for alarms put with these inputs. */
function deployedAs(list = inputs): { metric: MetricAlarm[]; composite: CompositeAlarm[] } {
  return {
    metric: list
      .filter((i) => i.kind === 'metric')
      .map(
        (i) =>
          ({
            ...i.input,
            AlarmArn: `arn:aws:cloudwatch:eu-west-1:123456789012:alarm:${i.input.AlarmName}`,
            StateValue: 'OK',
          }) as MetricAlarm,
      ),
    composite: list
      .filter((i) => i.kind === 'composite')
      .map((i) => ({ ...i.input, StateValue: 'OK' }) as CompositeAlarm),
  };
}

afterEach(() => cw.reset());

describe('coffee alarms import', () => {
  it('puts every metric alarm, then every composite after its children, with the exact inputs', async () => {
    cw.on(PutMetricAlarmCommand).resolves({}).on(PutCompositeAlarmCommand).resolves({});
    const io = capture();
    expect(await importCommand(options, io, client)).toBe(0);
    const order = cw.calls().map((c) => c.args[0]);
    const names = order.map((command) => (command.input as { AlarmName: string }).AlarmName);
    expect(cw.commandCalls(PutMetricAlarmCommand).map((c) => c.args[0].input)).toEqual(
      inputs.filter((i) => i.kind === 'metric').map((i) => i.input),
    );
    expect(cw.commandCalls(PutCompositeAlarmCommand).map((c) => c.args[0].input)).toEqual(
      inputs.filter((i) => i.kind === 'composite').map((i) => i.input),
    );
    for (const call of cw.commandCalls(PutCompositeAlarmCommand)) {
      const at = names.indexOf(call.args[0].input.AlarmName!);
      for (const child of ruleTextChildren(call.args[0].input.AlarmRule!))
        expect(names.indexOf(child)).toBeLessThan(at);
    }
    expect(cw.commandCalls(DeleteAlarmsCommand)).toHaveLength(0);
    expect(io.outLines).toEqual([`put ${inputs.length} alarms`]);
  });

  it('--prune deletes only alarms under the prefix that are no longer defined: composites one per call, parents first', async () => {
    const deployed = deployedAs();
    // Left over from an older version: a metric alarm, a composite naming it, and a composite naming that composite.
    deployed.metric.push({ AlarmName: 'coffee-test-old-metric', Namespace: 'CoffeeCloud', MetricName: 'OrdersPlaced' });
    deployed.composite.push(
      { AlarmName: 'coffee-test-old-child-composite', AlarmRule: 'ALARM("coffee-test-old-metric")' },
      {
        AlarmName: 'coffee-test-old-parent-composite',
        AlarmRule: 'ALARM("coffee-test-old-child-composite") OR ALARM("coffee-test-lambda-throttles-page")',
      },
    );
    // DescribeAlarms pages: first the metric alarms, then the composites.
    cw.on(PutMetricAlarmCommand)
      .resolves({})
      .on(PutCompositeAlarmCommand)
      .resolves({})
      .on(DeleteAlarmsCommand)
      .resolves({});
    cw.on(DescribeAlarmsCommand)
      .resolvesOnce({ MetricAlarms: deployed.metric, NextToken: 'page-2' })
      .resolvesOnce({ CompositeAlarms: deployed.composite });
    const io = capture();
    expect(await importCommand({ ...options, prune: true }, io, client)).toBe(0);
    expect(cw.commandCalls(DescribeAlarmsCommand).map((c) => c.args[0].input)).toEqual([
      { AlarmNamePrefix: 'coffee-test-', AlarmTypes: ['MetricAlarm', 'CompositeAlarm'], MaxRecords: 100 },
      {
        AlarmNamePrefix: 'coffee-test-',
        AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
        MaxRecords: 100,
        NextToken: 'page-2',
      },
    ]);
    expect(cw.commandCalls(DeleteAlarmsCommand).map((c) => c.args[0].input)).toEqual([
      { AlarmNames: ['coffee-test-old-parent-composite'] },
      { AlarmNames: ['coffee-test-old-child-composite'] },
      { AlarmNames: ['coffee-test-old-metric'] },
    ]);
    expect(io.outLines.at(-1)).toBe('pruned 3 alarms');
  });

  it('--dry-run puts and deletes nothing, and names what --prune would delete', async () => {
    const deployed = deployedAs();
    deployed.metric.push({ AlarmName: 'coffee-test-old-metric' });
    cw.on(DescribeAlarmsCommand).resolves({ MetricAlarms: deployed.metric, CompositeAlarms: deployed.composite });
    const io = capture();
    expect(await importCommand({ ...options, prune: true, dryRun: true }, io, client)).toBe(0);
    expect(cw.commandCalls(PutMetricAlarmCommand)).toHaveLength(0);
    expect(cw.commandCalls(DeleteAlarmsCommand)).toHaveLength(0);
    expect(io.outLines.at(-1)).toBe('would delete coffee-test-old-metric');
    expect(io.outLines.filter((l) => l.startsWith('would put'))).toHaveLength(inputs.length);
  });

  it('turns access denied into a one-line usage error', async () => {
    cw.on(PutMetricAlarmCommand).rejects(
      Object.assign(new Error('not authorized to perform: cloudwatch:PutMetricAlarm'), {
        name: 'AccessDenied',
        $metadata: {},
      }),
    );
    await expect(importCommand(options, capture(), client)).rejects.toThrow(
      new UsageError(
        'access denied for CloudWatch PutMetricAlarm in eu-west-1 (AccessDenied): not authorized to perform: cloudwatch:PutMetricAlarm',
      ),
    );
  });
});

describe('coffee alarms diff', () => {
  it('is clean against what import put', async () => {
    const deployed = deployedAs();
    cw.on(DescribeAlarmsCommand).resolves({ MetricAlarms: deployed.metric, CompositeAlarms: deployed.composite });
    const io = capture();
    expect(await diffCommand(options, io, client)).toBe(0);
    expect(io.outLines).toEqual([`${inputs.length} of ${inputs.length} alarms unchanged`]);
  });

  it('names changed fields, missing alarms and alarms that are no longer defined', async () => {
    const deployed = deployedAs();
    const changed = deployed.metric.find((a) => a.AlarmName === 'coffee-test-lambda-throttles-page')!;
    changed.Threshold = 99;
    changed.TreatMissingData = 'breaching';
    deployed.metric = deployed.metric.filter((a) => a.AlarmName !== 'coffee-test-lambda-error-rate-page');
    deployed.metric.push({ AlarmName: 'coffee-test-old-metric' });
    cw.on(DescribeAlarmsCommand).resolves({ MetricAlarms: deployed.metric, CompositeAlarms: deployed.composite });
    const io = capture();
    expect(await diffCommand(options, io, client)).toBe(1);
    expect(io.outLines).toEqual([
      '+ coffee-test-lambda-error-rate-page (not deployed)',
      '~ coffee-test-lambda-throttles-page: Threshold, TreatMissingData',
      '- coffee-test-old-metric (deployed, no longer defined; --prune deletes it)',
      `${inputs.length - 2} of ${inputs.length} alarms unchanged`,
    ]);
  });
});
