import { HeadObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { owned } from "../aws/bucket-owner.js";
import { orMissing } from "../aws/errors.js";
import { lifecycle, type Kind } from "../engine/kind.js";
import type { Ctx } from "../engine/types.js";
import type { Artifact } from "../package/zip.js";
import { refusal } from "./bucket.js";

export interface ArtifactProps {
  readonly bucket: string;
  readonly artifact: Artifact;
}

export interface ArtifactOutputs extends Record<string, string> {
  bucket: string;
  key: string;
  sha256: string;
}

interface ArtifactCurrent {
  encryption: string | undefined;
}

/** Content-addressed: a new handler is a new key, and an existing key is never uploaded again. */
export function artifactKey(a: Artifact): string {
  return `artifacts/${a.sha256Hex}.zip`;
}

function outputsOf(p: ArtifactProps): ArtifactOutputs {
  return { bucket: p.bucket, key: artifactKey(p.artifact), sha256: p.artifact.sha256Hex };
}

const displayId = (p: ArtifactProps): string => `s3://${p.bucket}/${artifactKey(p.artifact)}`;

/**
 * Uploads the bundle, encrypted: the same call makes it and fixes its encryption. Only to the
 * bucket of this account (ExpectedBucketOwner): never to one of that name another made.
 */
async function upload(ctx: Ctx, p: ArtifactProps): Promise<void> {
  try {
    await ctx.clients.s3.send(
      new PutObjectCommand({
        Bucket: p.bucket,
        ...owned(ctx.account),
        Key: artifactKey(p.artifact),
        Body: p.artifact.zip,
        ContentType: "application/zip",
        ServerSideEncryption: "AES256",
        // S3 checks the bytes it stores against the hash it is sent.
        ChecksumSHA256: p.artifact.sha256Base64,
      }),
    );
  } catch (err) {
    throw await refusal(ctx, p.bucket, err);
  }
}

type ArtifactField = "encryption";

export const artifactKind: Kind<ArtifactProps, ArtifactOutputs, ArtifactCurrent, ArtifactField> = {
  kind: "s3-object",
  label: "code bundle",
  clients: ["s3"],
  displayId,
  // Earlier bundles stay in the bucket for rollback and go with it.
  superseded: "forget",

  async read(ctx, p) {
    let head;
    try {
      head = await orMissing(
        ctx.clients.s3.send(
          new HeadObjectCommand({
            Bucket: p.bucket,
            ...owned(ctx.account),
            Key: artifactKey(p.artifact),
          }),
        ),
      );
    } catch (err) {
      throw await refusal(ctx, p.bucket, err);
    }
    return (
      head && {
        id: displayId(p),
        outputs: outputsOf(p),
        current: { encryption: head.ServerSideEncryption },
      }
    );
  },

  diff: (_p, o) => (o.current.encryption === "AES256" ? [] : ["encryption"]),
  values: (_p, o) => ({ encryption: { observed: o.current.encryption, desired: "AES256" } }),

  fix: {
    encryption: (ctx, p) => upload(ctx, p),
  },

  async create(ctx, p) {
    await upload(ctx, p);
    return { id: displayId(p), outputs: outputsOf(p), current: { encryption: "AES256" } };
  },

  // The bucket's own deletion removes every version of every object.
  async delete() {},
};

export const artifactHandler = lifecycle(artifactKind);
