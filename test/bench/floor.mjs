/**
 * The floor `status` and a no-op `up` are measured against (`npm run bench`): Node started, the
 * SDK clients the command uses loaded and made, and three dependent round trips to the same
 * endpoint (STS, then S3, then DynamoDB), with the standard credential chain and AWS_ENDPOINT_URL
 * from the environment, as the CLI has them. Arguments: the client packages to load, e.g.
 * client-s3 client-iam.
 */
const packages = process.argv.slice(2);
const loaded = await Promise.all(packages.map((p) => import(`@aws-sdk/${p}`)));
const region = process.env.AWS_REGION ?? "us-east-1";
const clients = loaded.map((mod) => {
  const Client = Object.entries(mod).find(
    ([name, value]) => name.endsWith("Client") && typeof value === "function" && name !== "Client",
  )?.[1];
  return new Client({ region, maxAttempts: 5 });
});
const of = (pkg) => ({
  client: clients[packages.indexOf(pkg)],
  mod: loaded[packages.indexOf(pkg)],
});
const sts = of("client-sts");
const s3 = of("client-s3");
const dynamodb = of("client-dynamodb");
await sts.client.send(new sts.mod.GetCallerIdentityCommand({}));
await s3.client.send(new s3.mod.ListBucketsCommand({}));
await dynamodb.client.send(new dynamodb.mod.ListTablesCommand({}));
for (const client of clients) client.destroy();
