/**
 * The vault that receives a copy of every backup, in another region: a region-wide
 * outage or a deleted source vault then still leaves restorable recovery points.
 */
import { RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import type { Construct } from 'constructs';

export interface BackupCopyStackProps extends StackProps {
  readonly vaultName: string;
}

export class BackupCopyStack extends Stack {
  readonly vault: backup.BackupVault;

  constructor(scope: Construct, id: string, props: BackupCopyStackProps) {
    super(scope, id, props);
    this.vault = new backup.BackupVault(this, 'CopyVault', {
      backupVaultName: props.vaultName,
      // Recovery points outlive the stack: deleting it must not delete the copies.
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }
}
