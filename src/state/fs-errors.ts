import { promises as fs } from "node:fs";
import path from "node:path";

/** File-system failures a user fixes (a path, permissions, a full disk), in their words. */
const REASONS: Record<string, string> = {
  ENOENT: "a directory on its path does not exist",
  ENOTDIR: "a part of its path is not a directory",
  EACCES: "permission denied",
  EPERM: "permission denied",
  EROFS: "the file system is read-only",
  ENOSPC: "the disk is full",
  EDQUOT: "the disk quota is used up",
  EISDIR: "it is a directory",
  EEXIST: "a file is in the way of a directory",
  ELOOP: "its path loops through symbolic links",
  ENAMETOOLONG: "its path is too long",
};

export interface FileSystemError extends Error {
  readonly code: string;
  readonly syscall: string;
  readonly path: string;
}

export function isFileSystemError(err: unknown): err is FileSystemError {
  const e = err as Partial<FileSystemError> | null;
  return (
    err instanceof Error &&
    typeof e?.code === "string" &&
    e.code in REASONS &&
    typeof e.syscall === "string" &&
    typeof e.path === "string"
  );
}

/** "a part of its path is not a directory (ENOTDIR)", or the error's own message. */
export function fileSystemReason(err: unknown): string {
  // Not isFileSystemError: a read of a directory fails with EISDIR and no path on the error.
  const code = (err as Partial<NodeJS.ErrnoException> | null)?.code;
  if (err instanceof Error && typeof code === "string" && code in REASONS) {
    return `${REASONS[code]} (${code})`;
  }
  return err instanceof Error ? err.message : String(err);
}

/**
 * Why a directory cannot be made or used: the nearest part of its path that exists but is not a
 * directory (a file, a symbolic link to nothing). undefined when every part that exists is one.
 */
export async function blockedBy(dir: string): Promise<string | undefined> {
  for (let p = path.resolve(dir); ; p = path.dirname(p)) {
    const link = await fs.lstat(p).catch(() => undefined);
    if (link) {
      const target = await fs.stat(p).catch(() => undefined);
      if (target?.isDirectory()) return undefined;
      if (link.isSymbolicLink() && !target) {
        const to = await fs.readlink(p).catch(() => "?");
        return `${p} is a symbolic link to ${to}, which does not exist`;
      }
      return `${p} is a file, not a directory`;
    }
    if (path.dirname(p) === p) return undefined;
  }
}
