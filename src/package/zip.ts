import { createHash } from "node:crypto";
import { ZipArchive } from "archiver";

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

/** Zips files deterministically: sorted entries, fixed timestamps and modes. */
export async function deterministicZip(files: Record<string, Uint8Array>): Promise<Artifact> {
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
  const zip = Buffer.concat(chunks);
  return {
    zip,
    sha256Hex: createHash("sha256").update(zip).digest("hex"),
    sha256Base64: createHash("sha256").update(zip).digest("base64"),
  };
}
