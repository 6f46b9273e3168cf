/**
 * The CDK app entry point (`cdk.json` runs it with tsx). Reads the context once, builds
 * the Lambda bundle into a temporary directory, adds the stacks and synthesizes.
 *
 *   npx cdk synth                      # offline; writes cdk.out/
 *   npx cdk deploy --all -c alarmEmail=oncall@example.com
 */
import { App } from 'aws-cdk-lib';
import { addCoffeeStacks } from './coffee-app.ts';
import { parseInfraConfig } from './config.ts';
import { buildLambdaAsset } from './lambda-asset.ts';

const app = new App();
const config = parseInfraConfig((key) => app.node.tryGetContext(key));
const asset = await buildLambdaAsset();
try {
  addCoffeeStacks(app, { config, lambdaAssetDir: asset.dir });
  app.synth();
} finally {
  await asset.dispose();
}
