import {
  CloudWatchClient,
  DashboardInvalidInputError,
  GetDashboardCommand,
  PutDashboardCommand,
  ResourceNotFound,
} from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { UsageError } from '../cli/index.ts';
import { buildCloudWatchDashboards } from './build.ts';
import type { CommandIo } from '../cli/index.ts';
import { diffCommand, importCommand } from './commands.ts';

const options = { prefix: 'coffee-test', region: 'eu-west-1', accountId: '123456789012' };
const dashboards = buildCloudWatchDashboards(options);
const cw = mockClient(CloudWatchClient);
const client = () =>
  new CloudWatchClient({ region: 'eu-west-1', credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test' } });

function capture(): CommandIo & { outLines: string[]; errLines: string[] } {
  const outLines: string[] = [];
  const errLines: string[] = [];
  return { outLines, errLines, out: (l) => outLines.push(l), err: (l) => errLines.push(l) };
}

function awsError(name: string, message: string): Error {
  return Object.assign(new Error(message), { name, $fault: 'client', $metadata: { httpStatusCode: 403 } });
}

afterEach(() => cw.reset());

describe('coffee dashboards import', () => {
  it('puts each dashboard with its name and exact body', async () => {
    cw.on(PutDashboardCommand).resolves({ DashboardValidationMessages: [] });
    const io = capture();
    expect(await importCommand(options, io, client)).toBe(0);
    const calls = cw.commandCalls(PutDashboardCommand).map((c) => c.args[0].input);
    expect(calls).toEqual(dashboards.map((d) => ({ DashboardName: d.name, DashboardBody: JSON.stringify(d.body) })));
    expect(io.outLines).toEqual(dashboards.map((d) => `put ${d.name}`));
  });

  it('shows CloudWatch validation messages and fails when a body is rejected', async () => {
    cw.on(PutDashboardCommand)
      .resolves({})
      .on(PutDashboardCommand, { DashboardName: 'coffee-test-cost' })
      .rejects(
        new DashboardInvalidInputError({
          message: 'The dashboard body is invalid, there are 1 validation errors',
          $metadata: {},
          dashboardValidationMessages: [
            { DataPath: '/widgets/3/properties/metrics/0', Message: 'Should NOT have more than 500 items' },
          ],
        }),
      );
    const io = capture();
    expect(await importCommand(options, io, client)).toBe(1);
    expect(io.outLines).toContain('rejected coffee-test-cost');
    expect(io.errLines).toContain(
      '  coffee-test-cost: /widgets/3/properties/metrics/0: Should NOT have more than 500 items',
    );
    expect(cw.commandCalls(PutDashboardCommand)).toHaveLength(4);
  });

  it('calls nothing with --dry-run', async () => {
    const io = capture();
    expect(
      await importCommand({ ...options, dryRun: true }, io, () => {
        throw new Error('no client in a dry run');
      }),
    ).toBe(0);
    expect(io.outLines[0]).toMatch(/^would put coffee-test-business \(\d+ widgets, \d+ bytes\) in eu-west-1$/);
    expect(cw.calls()).toHaveLength(0);
  });

  it('turns access denied and missing credentials into one-line usage errors', async () => {
    cw.on(PutDashboardCommand).rejects(
      awsError(
        'AccessDenied',
        'User: arn:aws:iam::123456789012:user/x is not authorized to perform: cloudwatch:PutDashboard\nmore',
      ),
    );
    const denied = importCommand(options, capture(), client);
    await expect(denied).rejects.toThrow(UsageError);
    await expect(denied).rejects.toThrow(
      /^access denied for CloudWatch PutDashboard in eu-west-1 \(AccessDenied\): User: .* is not authorized to perform: cloudwatch:PutDashboard$/,
    );
    cw.on(PutDashboardCommand).rejects(
      awsError('CredentialsProviderError', 'Could not load credentials from any providers'),
    );
    await expect(importCommand(options, capture(), client)).rejects.toThrow(
      /^no AWS credentials for CloudWatch PutDashboard/,
    );
  });
});

describe('coffee dashboards diff', () => {
  it('reports unchanged, changed (with the paths) and missing dashboards, exit 1 on any difference', async () => {
    const [business, technical, cost, slo] = dashboards;
    const edited = structuredClone(technical!.body);
    edited.widgets[3]!.properties.title = 'Edited in the console';
    cw.on(GetDashboardCommand, { DashboardName: business!.name })
      .resolves({ DashboardName: business!.name, DashboardBody: JSON.stringify(business!.body) })
      .on(GetDashboardCommand, { DashboardName: technical!.name })
      .resolves({ DashboardName: technical!.name, DashboardBody: JSON.stringify(edited) })
      .on(GetDashboardCommand, { DashboardName: cost!.name })
      .rejects(new ResourceNotFound({ message: 'Dashboard does not exist', $metadata: {} }))
      .on(GetDashboardCommand, { DashboardName: slo!.name })
      .resolves({ DashboardName: slo!.name, DashboardBody: JSON.stringify(slo!.body) });
    const io = capture();
    expect(await diffCommand(options, io, client)).toBe(1);
    expect(cw.commandCalls(GetDashboardCommand).map((c) => c.args[0].input)).toEqual(
      dashboards.map((d) => ({ DashboardName: d.name })),
    );
    expect(io.outLines).toEqual([
      '= coffee-test-business',
      '~ coffee-test-technical-health: 1 difference(s)',
      '    widgets[3].properties.title',
      '+ coffee-test-cost (not deployed)',
      '= coffee-test-slo',
    ]);
  });

  it('exits 0 when everything is deployed as built', async () => {
    for (const d of dashboards)
      cw.on(GetDashboardCommand, { DashboardName: d.name }).resolves({ DashboardBody: JSON.stringify(d.body) });
    expect(await diffCommand(options, capture(), client)).toBe(0);
  });
});
