export { S3Client as Client } from "@aws-sdk/client-s3";
