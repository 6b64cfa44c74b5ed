import { describe, expect, it } from "vitest";
import { allPages, apiBusy, restApiArn, stageArn } from "../../src/resources/api-common.js";

/** Which API Gateway errors are waited out (and which fail the run at once), and the ARNs. */

function named(name: string, message: string): Error {
  return Object.assign(new Error(message), { name });
}

describe("API Gateway", () => {
  it("ARNs of a REST API and a stage, as the tagging API takes them", () => {
    expect(restApiArn("aws", "eu-west-1", "abc123")).toBe(
      "arn:aws:apigateway:eu-west-1::/restapis/abc123",
    );
    expect(stageArn("aws-cn", "cn-north-1", "abc123", "prod")).toBe(
      "arn:aws-cn:apigateway:cn-north-1::/restapis/abc123/stages/prod",
    );
  });

  it("a concurrent-modification conflict is waited out; other conflicts are not", () => {
    const busy = apiBusy();
    expect(
      busy(
        named(
          "ConflictException",
          "Unable to complete operation due to concurrent modification. Please try again later.",
        ),
      ),
    ).toBe("waiting for API Gateway to finish a concurrent change");
    expect(busy(named("ConflictException", "please TRY AGAIN LATER"))).toBe(
      "waiting for API Gateway to finish a concurrent change",
    );
    expect(busy(named("ConflictException", "Stage already exists"))).toBeUndefined();
    expect(busy(named("BadRequestException", "try again later"))).toBeUndefined();
  });

  it("the request quota is waited out only where asked for", () => {
    const quota = named("TooManyRequestsException", "Too Many Requests");
    expect(apiBusy()(quota)).toBeUndefined();
    expect(apiBusy({ quota: false })(quota)).toBeUndefined();
    expect(apiBusy({ quota: true })(quota)).toBe("waiting for API Gateway's request quota");
    expect(apiBusy({ quota: true })(named("ConflictException", "try again later"))).toBe(
      "waiting for API Gateway to finish a concurrent change",
    );
    expect(apiBusy({ quota: true })(named("NotFoundException", "gone"))).toBeUndefined();
  });

  it("allPages reads every page, following position until there is none", async () => {
    const pages: Record<string, { items?: number[]; position?: string }> = {
      start: { items: [1, 2], position: "p2" },
      p2: { position: "p3" },
      p3: { items: [3] },
    };
    const asked: (string | undefined)[] = [];
    const all = await allPages((position) => {
      asked.push(position);
      return Promise.resolve(pages[position ?? "start"]!);
    });
    expect(all).toEqual([1, 2, 3]);
    expect(asked).toEqual([undefined, "p2", "p3"]);
  });
});
