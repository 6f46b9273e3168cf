import { describe, expect, it } from 'vitest';
import { DEFAULT_INFRA_CONFIG, InfraConfigError, parseInfraConfig } from './config.ts';

const from = (context: Record<string, unknown>) => parseInfraConfig((key) => context[key]);

describe('infra configuration from CDK context', () => {
  it('defaults every value, so a bare `cdk deploy --all` works', () => {
    expect(from({})).toEqual(DEFAULT_INFRA_CONFIG);
  });

  it('accepts the strings `-c key=value` passes and the JSON types of cdk.json alike', () => {
    const fromCli = from({
      memoryMb: '1024',
      faultControl: 'true',
      alarmEmail: 'oncall@example.com',
      backupCopyRegion: 'eu-central-1',
    });
    const fromJson = from({
      memoryMb: 1024,
      faultControl: true,
      alarmEmail: 'oncall@example.com',
      backupCopyRegion: 'eu-central-1',
    });
    expect(fromCli).toEqual(fromJson);
    expect(fromCli).toMatchObject({
      memoryMb: 1024,
      faultControl: true,
      alarmEmail: 'oncall@example.com',
      backupCopyRegion: 'eu-central-1',
    });
  });

  it.each([
    [{ memoryMb: '64' }, /memoryMb.*128\.\.10240/],
    [{ timeoutSeconds: 30 }, /timeoutSeconds/],
    [{ logRetentionDays: 10 }, /logRetentionDays.*one of/],
    [{ throttleRateLimit: 500, throttleBurstLimit: 100 }, /throttleBurstLimit.*at least/],
    [{ faultInjection: 'yes' }, /faultInjection.*true or false/],
    [{ alarmEmail: 'not-an-address' }, /alarmEmail/],
    [{ backupCopyRegion: 'Frankfurt' }, /backupCopyRegion/],
    [{ stackPrefix: '1st' }, /stackPrefix/],
  ])('rejects %j with a message naming the key', (context, message) => {
    expect(() => from(context)).toThrow(InfraConfigError);
    expect(() => from(context)).toThrow(message);
  });
});
