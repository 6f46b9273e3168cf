/**
 * The fault-injection stack: the AWS FIS experiment templates of `chaos/fis/`, targeting
 * the service function, with the deployed alarms as stop conditions.
 */
import { Stack, type StackProps } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import {
  FisApiErrorRateAlarm,
  FisExperimentTemplates,
  FisStopConditions,
  type FisTemplateDefinition,
} from '../chaos/index.ts';

export interface FaultInjectionStackProps extends StackProps {
  readonly function: lambda.IFunction;
  /** The fault-configuration bucket of the service stack, by its deterministic name. */
  readonly configBucketName: string;
  /** The HTTP API (and stage) the guardrail alarm watches. */
  readonly apiId: string;
  readonly apiStage: string;
  /** Name of the guardrail alarm (keep the alarms' common prefix). */
  readonly guardrailAlarmName: string;
  /** Stop-condition alarms of the alarms catalog, by the keys the templates name. */
  readonly alarms: Readonly<Record<string, { readonly alarmArn: string }>>;
  readonly templates?: readonly FisTemplateDefinition[];
}

export class FaultInjectionStack extends Stack {
  readonly experiments: FisExperimentTemplates;
  readonly guardrail: FisApiErrorRateAlarm;

  constructor(scope: Construct, id: string, props: FaultInjectionStackProps) {
    super(scope, id, props);
    // Imported by name, not by reference: the wildcard grant under its prefix then names
    // the bucket the same way in every template (and in the cdk-nag acknowledgement).
    const configBucket = s3.Bucket.fromBucketName(this, 'FaultConfigBucket', props.configBucketName);
    this.guardrail = new FisApiErrorRateAlarm(this, 'ApiErrorRateGuardrail', {
      apiId: props.apiId,
      stage: props.apiStage,
      alarmName: props.guardrailAlarmName,
    });
    this.experiments = new FisExperimentTemplates(this, 'Experiments', {
      functions: [props.function],
      configBucket,
      alarms: { ...props.alarms, [FisStopConditions.ApiErrorRate]: this.guardrail.alarm },
      ...(props.templates ? { templates: props.templates } : {}),
    });
  }
}
