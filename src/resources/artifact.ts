import { HeadObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { isNotFound } from "../aws/errors.js";
import type { Change, ResourceHandler } from "../engine/types.js";
import type { Artifact } from "../package/zip.js";

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

export const artifactHandler: ResourceHandler<ArtifactProps, ArtifactOutputs, ArtifactCurrent> = {
  kind: "s3-object",
  label: "code bundle",
  displayId: (p) => `s3://${p.bucket}/${artifactKey(p.artifact)}`,
  // Earlier bundles stay in the bucket for rollback and go with it.
  superseded: "forget",

  async observe(ctx, p) {
    try {
      const head = await ctx.clients.s3.send(
        new HeadObjectCommand({ Bucket: p.bucket, Key: artifactKey(p.artifact) }),
      );
      return {
        id: this.displayId(p),
        outputs: outputsOf(p),
        current: { encryption: head.ServerSideEncryption },
      };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  },

  diff(_p, o): Change {
    return { fields: o.current.encryption === "AES256" ? [] : ["encryption"] };
  },

  async create(ctx, p) {
    await ctx.clients.s3.send(
      new PutObjectCommand({
        Bucket: p.bucket,
        Key: artifactKey(p.artifact),
        Body: p.artifact.zip,
        ContentType: "application/zip",
        ServerSideEncryption: "AES256",
        // S3 checks the bytes it stores against the hash it is sent.
        ChecksumSHA256: p.artifact.sha256Base64,
      }),
    );
    return { id: this.displayId(p), outputs: outputsOf(p), current: { encryption: "AES256" } };
  },

  update(ctx, p) {
    return this.create(ctx, p);
  },

  // The bucket's own deletion removes every version of every object.
  async destroy() {},
};
