/** Tag shapes differ per service; one helper converts the stack's tags for each. */

export type TagMap = Readonly<Record<string, string>>;

/** S3, DynamoDB, IAM, CloudWatch: [{Key, Value}]. */
export function toKeyValueList(tags: TagMap): { Key: string; Value: string }[] {
  return Object.entries(tags)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([Key, Value]) => ({ Key, Value }));
}

export function fromKeyValueList(
  list: readonly { Key?: string | undefined; Value?: string | undefined }[] | undefined,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of list ?? []) if (t.Key !== undefined) out[t.Key] = t.Value ?? "";
  return out;
}
