import { describe, expect, it } from 'vitest';
import {
  FIS_TEMPLATES,
  FisLambdaActions,
  FisStopConditions,
  isoDuration,
  renderFisTemplate,
  validateFisTemplate,
  type FisTemplateDefinition,
} from './templates.ts';

const inputs = {
  roleArn: 'arn:aws:iam::123456789012:role/fis',
  functionArns: ['arn:aws:lambda:eu-west-1:123456789012:function:coffee-cloud-api'],
  alarmArns: Object.fromEntries(
    Object.values(FisStopConditions).map((key) => [key, `arn:aws:cloudwatch:eu-west-1:123456789012:alarm:${key}`]),
  ),
};

const delay: FisTemplateDefinition = {
  id: 'test-delay',
  description: 'delay',
  hypothesis: 'latency rises',
  faults: [
    {
      name: 'addDelay',
      action: FisLambdaActions.AddDelay,
      description: 'd',
      durationSeconds: 90,
      invocationPercentage: 50,
      startupDelayMilliseconds: 250,
    },
  ],
  stopConditions: [FisStopConditions.LambdaErrorRate],
};

describe('FIS template definitions', () => {
  it('ships one valid template per Lambda fault action', () => {
    for (const template of FIS_TEMPLATES) expect(validateFisTemplate(template)).toEqual([]);
    const actions = new Set(FIS_TEMPLATES.flatMap((t) => t.faults.map((f) => f.action)));
    expect([...actions].sort()).toEqual(Object.values(FisLambdaActions).sort());
    expect(new Set(FIS_TEMPLATES.map((t) => t.id)).size).toBe(FIS_TEMPLATES.length);
  });

  it('writes durations the way FIS reads them (ISO 8601)', () => {
    expect(isoDuration(300)).toBe('PT5M');
    expect(isoDuration(90)).toBe('PT90S');
    expect(isoDuration(7200)).toBe('PT2H');
  });

  it('renders a Lambda action with its parameters as strings and the function ARNs as target', () => {
    const shape = renderFisTemplate(delay, inputs);
    expect(shape.targets).toEqual({
      Functions: { resourceType: 'aws:lambda:function', resourceArns: inputs.functionArns, selectionMode: 'ALL' },
    });
    expect(shape.actions).toEqual({
      addDelay: {
        actionId: 'aws:lambda:invocation-add-delay',
        description: 'd',
        parameters: { duration: 'PT90S', invocationPercentage: '50', startupDelayMilliseconds: '250' },
        targets: { Functions: 'Functions' },
      },
    });
    expect(shape.stopConditions).toEqual([
      { source: 'aws:cloudwatch:alarm', value: inputs.alarmArns['lambda-error-rate'] },
    ]);
    expect(shape.roleArn).toBe(inputs.roleArn);
    expect(shape.tags).toEqual({ Name: 'test-delay', Hypothesis: 'latency rises' });
  });

  it('renders the error and HTTP-response actions with their own parameters', () => {
    const byAction = Object.fromEntries(
      FIS_TEMPLATES.flatMap((t) => Object.values(renderFisTemplate(t, inputs).actions)).map((a) => [
        a.actionId,
        a.parameters,
      ]),
    );
    expect(Object.keys(byAction[FisLambdaActions.Error] ?? {}).sort()).toEqual([
      'duration',
      'invocationPercentage',
      'preventExecution',
    ]);
    expect(byAction[FisLambdaActions.HttpIntegrationResponse]).toMatchObject({
      statusCode: '503',
      contentTypeHeader: 'application/problem+json',
      preventExecution: 'true',
    });
  });

  it('reports every out-of-range parameter of a definition', () => {
    const bad: FisTemplateDefinition = {
      id: 'Bad_Id',
      description: '',
      hypothesis: '',
      faults: [
        {
          name: 'a',
          action: FisLambdaActions.AddDelay,
          description: '',
          durationSeconds: 30,
          invocationPercentage: 0,
          startupDelayMilliseconds: 900_001,
        },
        {
          name: 'b',
          action: FisLambdaActions.HttpIntegrationResponse,
          description: '',
          durationSeconds: 60,
          invocationPercentage: 100,
          statusCode: 700,
          contentTypeHeader: 'json',
          preventExecution: false,
          startAfter: ['missing'],
        },
      ],
      stopConditions: ['a', 'b', 'c', 'd', 'e', 'f'],
    };
    const problems = validateFisTemplate(bad).join('\n');
    for (const expected of [
      'kebab-case',
      'at most 5 stop conditions',
      'durationSeconds',
      'invocationPercentage',
      'startupDelayMilliseconds',
      'statusCode',
      'contentTypeHeader',
      'unknown fault "missing"',
    ]) {
      expect(problems).toContain(expected);
    }
  });

  it('refuses to render a template whose stop-condition alarm is not deployed', () => {
    expect(() => renderFisTemplate(delay, { ...inputs, alarmArns: {} })).toThrow(
      /no alarm for stop condition\(s\) lambda-error-rate/,
    );
    expect(() => renderFisTemplate(delay, { ...inputs, functionArns: [] })).toThrow(/no target function/);
  });
});
