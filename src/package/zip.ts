import { createHash } from "node:crypto";

/** A fixed timestamp so the same bytes always zip to the same archive. */
const ZIP_EPOCH = new Date("2000-01-01T00:00:00Z");

export interface Artifact {
  /** The zip's bytes. */
  readonly zip: Buffer;
  /** sha256 of the zip, hex: names the S3 object. */
  readonly sha256Hex: string;
  /** sha256 of the zip, base64: what Lambda reports as CodeSha256. */
  readonly sha256Base64: string;
}

/**
 * Zips files deterministically: sorted entries, fixed timestamps and modes. archiver (a third of
 * a megabyte of JavaScript with its streams) is loaded only here: a run whose zip is cached
 * (see bundle-cache.ts) never loads it.
 */
export async function deterministicZip(files: Record<string, Uint8Array>): Promise<Artifact> {
  const { ZipArchive } = await import("archiver");
  const archive = new ZipArchive({ zlib: { level: 9 } });
  const chunks: Buffer[] = [];
  archive.on("data", (c: Buffer) => chunks.push(c));
  const done = new Promise<void>((resolve, reject) => {
    archive.on("end", resolve);
    archive.on("error", reject);
    archive.on("warning", reject);
  });
  for (const name of Object.keys(files).sort()) {
    archive.append(Buffer.from(files[name] as Uint8Array), { name, date: ZIP_EPOCH, mode: 0o644 });
  }
  await archive.finalize();
  await done;
  return artifactOf(Buffer.concat(chunks));
}

/** The artifact of a zip: its bytes and the hashes S3 and Lambda know it by. */
export function artifactOf(zip: Buffer): Artifact {
  const digest = createHash("sha256").update(zip).digest();
  return { zip, sha256Hex: digest.toString("hex"), sha256Base64: digest.toString("base64") };
}
