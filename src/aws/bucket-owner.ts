import { HeadBucketCommand, ListBucketsCommand, type S3Client } from "@aws-sdk/client-s3";
import { httpStatus, isAccessDenied } from "./errors.js";

/**
 * Bucket names are global, and a bucket another account made may well grant this one access:
 * every request the tool sends to a bucket carries ExpectedBucketOwner, so that S3 refuses it
 * (403 AccessDenied) unless the bucket belongs to that account.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-owner-condition.html
 */
export function owned(owner: string): { ExpectedBucketOwner: string } {
  return { ExpectedBucketOwner: owner };
}

/** S3's refusal: AccessDenied, or a bare 403 (a HEAD answer has no body). */
export function isRefused(err: unknown): boolean {
  return httpStatus(err) === 403 || isAccessDenied(err);
}

/**
 * Why S3 refused a request that carried ExpectedBucketOwner. S3 answers the same 403
 * AccessDenied for a bucket of another account and for a missing permission, so:
 * - "elsewhere": the bucket belongs to another account;
 * - "permission": it is the expected owner's, and the refused request lacked a permission;
 * - "unknown": these credentials may not look at the bucket at all.
 */
export type Refusal = "elsewhere" | "permission" | "unknown";

/**
 * Tells the two apart after a refusal, reading only: HeadBucket with the expected owner and
 * without it (the one request the tool sends without ExpectedBucketOwner: no data goes either
 * way but the bucket's existence). Refused with it and answered without it, the bucket is
 * another account's; answered with it, it is the expected owner's. Refused both ways, the
 * caller's own bucket list says, when the expected owner is the caller (`listOwn`).
 */
export async function whyRefused(
  s3: S3Client,
  Bucket: string,
  owner: string,
  o: { readonly listOwn: boolean },
): Promise<Refusal> {
  const [withOwner, without] = await Promise.allSettled([
    s3.send(new HeadBucketCommand({ Bucket, ...owned(owner) })),
    s3.send(new HeadBucketCommand({ Bucket })),
  ]);
  if (withOwner.status === "fulfilled") return "permission";
  if (!isRefused(withOwner.reason)) return "unknown";
  if (without.status === "fulfilled") return "elsewhere";
  if (!o.listOwn) return "unknown";
  try {
    const mine = await s3.send(new ListBucketsCommand({ Prefix: Bucket, MaxBuckets: 1000 }));
    return (mine.Buckets ?? []).some((b) => b.Name === Bucket) ? "permission" : "elsewhere";
  } catch {
    // No s3:ListAllMyBuckets: no telling.
    return "unknown";
  }
}
