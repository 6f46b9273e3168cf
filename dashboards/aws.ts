/**
 * Dashboards against an account: what differs from the deployed bodies (GetDashboard) and
 * putting them (PutDashboard, with CloudWatch's validation messages shown).
 */
import {
  DashboardInvalidInputError,
  GetDashboardCommand,
  PutDashboardCommand,
  ResourceNotFound,
  type CloudWatchClient,
  type DashboardValidationMessage,
} from '@aws-sdk/client-cloudwatch';
import { awsCall, jsonDifferences } from '../cli/index.ts';
import type { CloudWatchDashboard } from './render-cloudwatch.ts';

export type DashboardDiff =
  | { readonly name: string; readonly status: 'missing' }
  | { readonly name: string; readonly status: 'unchanged' }
  | { readonly name: string; readonly status: 'changed'; readonly paths: readonly string[] };

/** Compares each dashboard with the deployed one of the same name. */
export async function diffDashboards(
  client: CloudWatchClient,
  dashboards: readonly CloudWatchDashboard[],
  region: string,
): Promise<DashboardDiff[]> {
  const out: DashboardDiff[] = [];
  for (const { name, body } of dashboards) {
    let deployed: string | undefined;
    try {
      const answer = await awsCall('GetDashboard', region, () =>
        client.send(new GetDashboardCommand({ DashboardName: name })),
      );
      deployed = answer.DashboardBody;
    } catch (error) {
      // GetDashboard answers ResourceNotFound; DashboardNotFoundError is its other spelling.
      if (
        error instanceof ResourceNotFound ||
        ['ResourceNotFound', 'DashboardNotFoundError'].includes((error as Error).name)
      ) {
        out.push({ name, status: 'missing' });
        continue;
      }
      throw error;
    }
    const paths = jsonDifferences(
      deployed === undefined ? undefined : (JSON.parse(deployed) as unknown),
      JSON.parse(JSON.stringify(body)) as unknown,
    );
    out.push(paths.length === 0 ? { name, status: 'unchanged' } : { name, status: 'changed', paths });
  }
  return out;
}

export interface DashboardPutResult {
  readonly name: string;
  readonly ok: boolean;
  readonly messages: readonly DashboardValidationMessage[];
}

/** Puts every dashboard; a body CloudWatch rejects is reported with its messages, the rest still go. */
export async function putDashboards(
  client: CloudWatchClient,
  dashboards: readonly CloudWatchDashboard[],
  region: string,
): Promise<DashboardPutResult[]> {
  const out: DashboardPutResult[] = [];
  for (const { name, body } of dashboards) {
    try {
      const answer = await awsCall('PutDashboard', region, () =>
        client.send(new PutDashboardCommand({ DashboardName: name, DashboardBody: JSON.stringify(body) })),
      );
      out.push({ name, ok: true, messages: answer.DashboardValidationMessages ?? [] });
    } catch (error) {
      if (error instanceof DashboardInvalidInputError || (error as Error).name === 'DashboardInvalidInputError') {
        const messages = (error as DashboardInvalidInputError).dashboardValidationMessages ?? [
          { Message: (error as Error).message },
        ];
        out.push({ name, ok: false, messages });
        continue;
      }
      throw error;
    }
  }
  return out;
}
