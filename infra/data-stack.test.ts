import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { BackupCopyStack } from './backup-copy-stack.ts';
import { DataStack } from './data-stack.ts';

describe('data stack with a cross-region backup copy', () => {
  it('copies every recovery point, with its retention, into a retained vault of the other region', () => {
    const app = new App();
    const copy = new BackupCopyStack(app, 'Copy', {
      env: { region: 'eu-central-1' },
      vaultName: 'orders-backups-copy',
    });
    const data = new DataStack(app, 'Data', {
      tableName: 'orders',
      backupDailyRetentionDays: 7,
      backupWeeklyRetentionDays: 28,
      backupCopy: { region: 'eu-central-1', vaultName: 'orders-backups-copy' },
    });
    data.addStackDependency(copy);

    const vaultArn = {
      'Fn::Join': [
        '',
        [
          'arn:',
          { Ref: 'AWS::Partition' },
          ':backup:eu-central-1:',
          { Ref: 'AWS::AccountId' },
          ':backup-vault:orders-backups-copy',
        ],
      ],
    };
    const plan = Template.fromStack(data).findResources('AWS::Backup::BackupPlan');
    const rules = (Object.values(plan)[0] as { Properties: { BackupPlan: { BackupPlanRule: unknown[] } } }).Properties
      .BackupPlan.BackupPlanRule;
    expect(rules).toEqual([
      expect.objectContaining({
        RuleName: 'Daily',
        CopyActions: [{ DestinationBackupVaultArn: vaultArn, Lifecycle: { DeleteAfterDays: 7 } }],
      }),
      expect.objectContaining({
        RuleName: 'Weekly',
        CopyActions: [{ DestinationBackupVaultArn: vaultArn, Lifecycle: { DeleteAfterDays: 28 } }],
      }),
    ]);
    const vaults = Template.fromStack(copy).findResources('AWS::Backup::BackupVault');
    expect(Object.values(vaults)).toEqual([
      expect.objectContaining({ DeletionPolicy: 'Retain', Properties: { BackupVaultName: 'orders-backups-copy' } }),
    ]);
    expect(
      app
        .synth()
        .getStackArtifact(data.artifactId)
        .dependencies.map((d) => d.id),
    ).toContain(copy.artifactId);
  });
});
