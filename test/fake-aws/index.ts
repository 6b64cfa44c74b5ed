import { FakeAcm } from "./acm.js";
import { FakeApiGateway } from "./apigateway.js";
import { FakeAws, type FakeOptions } from "./core.js";
import { FakeDynamoDb } from "./dynamodb.js";
import { FakeIam } from "./iam.js";
import { FakeKms } from "./kms.js";
import { FakeLambda } from "./lambda.js";
import { FakeLogs } from "./logs.js";
import { FakeCloudWatch } from "./cloudwatch.js";
import { FakeRoute53 } from "./route53.js";
import { FakeS3 } from "./s3.js";
import { FakeSecretsManager } from "./secretsmanager.js";
import { FakeSsm } from "./ssm.js";
import { FakeSns } from "./sns.js";
import { FakeSts } from "./sts.js";
import { FakeWafv2 } from "./wafv2.js";

export { awsError } from "./errors.js";
export type { CallRecord, Fault } from "./core.js";

/** A fake AWS account with every service the tool uses. */
export class FakeAccount extends FakeAws {
  readonly s3: FakeS3;
  readonly dynamodb: FakeDynamoDb;
  readonly sts: FakeSts;
  readonly iam: FakeIam;
  readonly lambda: FakeLambda;
  readonly logs: FakeLogs;
  readonly cloudwatch: FakeCloudWatch;
  readonly sns: FakeSns;
  readonly kms: FakeKms;
  readonly apigateway: FakeApiGateway;
  readonly wafv2: FakeWafv2;
  readonly ssm: FakeSsm;
  readonly secretsmanager: FakeSecretsManager;
  readonly route53: FakeRoute53;
  readonly acm: FakeAcm;

  constructor(options: FakeOptions = {}) {
    super(options);
    this.s3 = new FakeS3(this.account);
    this.dynamodb = new FakeDynamoDb(this.account);
    this.sts = new FakeSts(this.account);
    this.iam = new FakeIam(this.account);
    this.lambda = new FakeLambda(this.account, this.iam, this.s3);
    this.logs = new FakeLogs(this.account);
    this.cloudwatch = new FakeCloudWatch(this.account);
    this.sns = new FakeSns(this.account);
    this.kms = new FakeKms(this.account);
    this.apigateway = new FakeApiGateway(this.iam);
    this.wafv2 = new FakeWafv2(this.account, this.apigateway);
    this.ssm = new FakeSsm(this.account);
    this.secretsmanager = new FakeSecretsManager(this.account);
    this.route53 = new FakeRoute53();
    this.acm = new FakeAcm(this.account, this.route53, (arn) =>
      this.apigateway.usesCertificate(arn),
    );
    this.apigateway.certificates = { status: (arn) => this.acm.status(arn) };
    for (const s of [
      this.s3,
      this.dynamodb,
      this.sts,
      this.iam,
      this.lambda,
      this.logs,
      this.cloudwatch,
      this.sns,
      this.kms,
      this.apigateway,
      this.wafv2,
      this.ssm,
      this.secretsmanager,
      this.route53,
      this.acm,
    ]) {
      this.register(s);
    }
  }
}
