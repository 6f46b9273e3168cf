/**
 * The observability stack: the alarm topics (one per severity), the dashboards and alarms
 * of `dashboards/` and `alarms/`, built from the same definitions their build commands
 * render, for the deployed function, table and API, and the CloudTrail trail whose metric
 * filters feed the security alarms.
 */
import { Stack, type StackProps } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import type { Construct } from 'constructs';
import { CoffeeAlarms } from '../alarms/index.ts';
import { FisStopConditions } from '../chaos/index.ts';
import { CoffeeDashboards, type MonitoringOptions } from '../dashboards/index.ts';
import { AlarmTopics } from './alarm-topics.ts';
import { SecurityTrail } from './security-trail.ts';
import type { InfraConfig } from './config.ts';

export interface ObservabilityStackProps extends StackProps {
  readonly config: InfraConfig;
  readonly api: apigw.IHttpApi;
  readonly apiStage: string;
}

/**
 * The monitoring options of the deployed stacks: names come from the configuration (plain
 * strings, so the dashboard bodies read like the `coffee dashboards build` output), the
 * API id from the service stack, region and account from the stack (CloudFormation
 * resolves them).
 */
export function monitoringOptions(config: InfraConfig, apiId: string, apiStage: string): MonitoringOptions {
  return {
    prefix: config.serviceName,
    serviceName: config.serviceName,
    functionName: config.functionName,
    lambdaMemoryMb: config.memoryMb,
    tableName: config.tableName,
    apiId,
    apiStage,
    logGroupName: `/aws/lambda/${config.functionName}`,
  };
}

/** Which catalog alarm (by id, without the prefix) backs each FIS stop condition. */
export const STOP_CONDITION_ALARM_IDS = {
  [FisStopConditions.LambdaErrorRate]: 'lambda-error-rate-page',
  [FisStopConditions.OrderWriteAvailability]: 'slo-order-write-availability-page',
  [FisStopConditions.MenuReadAvailability]: 'slo-menu-read-availability-page',
} as const;

export class ObservabilityStack extends Stack {
  readonly topics: AlarmTopics;
  readonly dashboards: CoffeeDashboards;
  readonly alarms: CoffeeAlarms;
  readonly securityTrail: SecurityTrail;
  readonly options: MonitoringOptions;
  /** The catalog alarms FIS experiments stop on, by the keys of `FisStopConditions`. */
  readonly stopConditionAlarms: Readonly<Record<string, { readonly alarmArn: string }>>;

  constructor(scope: Construct, id: string, props: ObservabilityStackProps) {
    super(scope, id, props);
    const { config, api, apiStage } = props;
    this.options = monitoringOptions(config, api.apiId, apiStage);
    this.topics = new AlarmTopics(this, 'AlarmTopics', {
      namePrefix: config.serviceName,
      ...(config.alarmEmail ? { email: config.alarmEmail } : {}),
    });
    this.dashboards = new CoffeeDashboards(this, 'Dashboards', this.options);
    this.alarms = new CoffeeAlarms(this, 'Alarms', { ...this.options, topics: this.topics.topics });
    // The security alarms (in the catalog above) watch what this trail's metric filters publish.
    this.securityTrail = new SecurityTrail(this, 'SecurityTrail', {
      tableName: config.tableName,
      functionName: config.functionName,
    });

    const prefix = this.options.prefix as string;
    this.stopConditionAlarms = Object.fromEntries(
      Object.entries(STOP_CONDITION_ALARM_IDS).map(([key, alarmId]) => {
        const alarm = this.alarms.alarms.get(`${prefix}-${alarmId}`);
        if (!alarm)
          throw new Error(`FIS stop condition "${key}": the alarms catalog has no alarm "${prefix}-${alarmId}"`);
        return [key, { alarmArn: alarm.attrArn }];
      }),
    );
  }
}
