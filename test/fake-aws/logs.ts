import { partitionOf, type CallContext, type FakeService } from "./core.js";
import { errorsFor } from "./errors.js";

const err = errorsFor("CloudWatchLogs");

export interface LogEvent {
  /** Unique and stable, as AWS's are: `logs --follow` de-duplicates by it across polls. */
  eventId: string;
  timestamp: number;
  message: string;
  logStreamName: string;
}

export interface LogGroup {
  name: string;
  retentionInDays: number | undefined;
  tags: Map<string, string>;
  createdAt: number;
  events: LogEvent[];
}

const RETENTION = new Set([
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288,
  3653,
]);

type In = Record<string, unknown>;

/** CloudWatch Logs log groups (and their events, for `logs`). */
export class FakeLogs implements FakeService {
  readonly name = "CloudWatchLogs";
  readonly groups = new Map<string, LogGroup>();
  readonly operations: FakeService["operations"];
  private nextEventId = 1;

  constructor(private readonly account: string) {
    this.operations = {
      CreateLogGroup: (i, c) => {
        const name = i.logGroupName as string;
        if (this.groups.has(name))
          throw err("ResourceAlreadyExistsException", "The specified log group already exists");
        this.groups.set(name, {
          name,
          retentionInDays: undefined,
          tags: new Map(Object.entries((i.tags as Record<string, string> | undefined) ?? {})),
          createdAt: c.now,
          events: [],
        });
        return {};
      },
      DeleteLogGroup: (i) => {
        if (!this.groups.delete(i.logGroupName as string))
          throw err("ResourceNotFoundException", "The specified log group does not exist.");
        return {};
      },
      DescribeLogGroups: (i, c) => {
        const prefix = (i.logGroupNamePrefix as string | undefined) ?? "";
        const limit = (i.limit as number | undefined) ?? 50;
        const all = [...this.groups.values()]
          .filter((g) => g.name.startsWith(prefix))
          .sort((a, b) => a.name.localeCompare(b.name));
        const start = i.nextToken ? Number(i.nextToken) : 0;
        const page = all.slice(start, start + limit);
        return {
          logGroups: page.map((g) => ({
            logGroupName: g.name,
            arn: `${this.arn(g.name, c)}:*`,
            logGroupArn: this.arn(g.name, c),
            creationTime: g.createdAt,
            retentionInDays: g.retentionInDays,
            storedBytes: 0,
          })),
          ...(start + limit < all.length ? { nextToken: String(start + limit) } : {}),
        };
      },
      PutRetentionPolicy: (i) => {
        const days = i.retentionInDays as number;
        if (!RETENTION.has(days))
          throw err(
            "InvalidParameterException",
            `1 validation error detected: Value '${days}' at 'retentionInDays' failed to satisfy constraint: Member must satisfy enum value set`,
          );
        this.group(i.logGroupName as string).retentionInDays = days;
        return {};
      },
      DeleteRetentionPolicy: (i) => {
        this.group(i.logGroupName as string).retentionInDays = undefined;
        return {};
      },
      ListTagsForResource: (i) => ({
        tags: Object.fromEntries(this.byArn(i.resourceArn as string).tags),
      }),
      TagResource: (i) => {
        const g = this.byArn(i.resourceArn as string);
        for (const [k, v] of Object.entries(i.tags as Record<string, string>)) g.tags.set(k, v);
        return {};
      },
      UntagResource: (i) => {
        const g = this.byArn(i.resourceArn as string);
        for (const k of i.tagKeys as string[]) g.tags.delete(k);
        return {};
      },
      FilterLogEvents: (i) => this.filter(i),
    };
  }

  private arn(name: string, c: CallContext): string {
    return `arn:${partitionOf(c.region)}:logs:${c.region}:${this.account}:log-group:${name}`;
  }

  private group(name: string): LogGroup {
    const g = this.groups.get(name);
    if (!g) throw err("ResourceNotFoundException", "The specified log group does not exist.");
    return g;
  }

  private byArn(arn: string): LogGroup {
    if (arn.endsWith(":*"))
      throw err(
        "InvalidParameterException",
        "Specified resource ARN is not valid; it must not end with ':*'",
      );
    const name = /:log-group:(.+)$/.exec(arn)?.[1];
    const g = name ? this.groups.get(name) : undefined;
    if (!g) throw err("ResourceNotFoundException", "The specified log group does not exist.");
    return g;
  }

  private filter(i: In): object {
    const g = this.group(i.logGroupName as string);
    const start = (i.startTime as number | undefined) ?? 0;
    const end = (i.endTime as number | undefined) ?? Infinity;
    const limit = (i.limit as number | undefined) ?? 10_000;
    const events = g.events
      .filter((e) => e.timestamp >= start && e.timestamp <= end)
      .sort((a, b) => a.timestamp - b.timestamp);
    const from = i.nextToken ? Number(i.nextToken) : 0;
    const page = events.slice(from, from + limit);
    return {
      events: page.map((e) => ({ ...e, ingestionTime: e.timestamp })),
      ...(from + limit < events.length ? { nextToken: String(from + limit) } : {}),
    };
  }

  /** Appends an event as the function would (for `logs` tests). */
  write(
    group: string,
    message: string,
    timestamp = Date.now(),
    stream = "2026/01/01/[$LATEST]fake",
  ): void {
    const eventId = String(this.nextEventId++).padStart(20, "0");
    this.group(group).events.push({ eventId, timestamp, message, logStreamName: stream });
  }
}
