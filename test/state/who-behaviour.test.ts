import os from "node:os";
import { afterEach, describe, expect, it, vi } from "vitest";
import { age, whoIsRunning } from "../../src/state/who.js";

/** Who holds the lock, and since when: the words a user finding the lock held reads. */

afterEach(() => {
  vi.restoreAllMocks();
});

describe("who is running", () => {
  it("GitHub Actions: the workflow, the job and a link to the run", () => {
    expect(
      whoIsRunning({
        GITHUB_ACTIONS: "true",
        GITHUB_SERVER_URL: "https://ghe.example.com",
        GITHUB_REPOSITORY: "acme/shop",
        GITHUB_RUN_ID: "42",
        GITHUB_WORKFLOW: "deploy",
        GITHUB_JOB: "up",
      }),
    ).toBe("GitHub Actions deploy / up https://ghe.example.com/acme/shop/actions/runs/42");
  });

  it("GitHub Actions without the usual variables: github.com and question marks", () => {
    expect(whoIsRunning({ GITHUB_ACTIONS: "true" })).toBe(
      "GitHub Actions https://github.com/?/actions/runs/?",
    );
    expect(whoIsRunning({ GITHUB_ACTIONS: "true", GITHUB_JOB: "up" })).toBe(
      "GitHub Actions up https://github.com/?/actions/runs/?",
    );
  });

  it("GitLab CI: the job's name and its link, else its id, spaces tidied", () => {
    expect(
      whoIsRunning({ GITLAB_CI: "true", CI_JOB_NAME: "deploy", CI_JOB_URL: "https://gl/j/7" }),
    ).toBe("GitLab CI job deploy https://gl/j/7");
    expect(whoIsRunning({ GITLAB_CI: "true", CI_JOB_ID: "7" })).toBe("GitLab CI job 7");
    expect(whoIsRunning({ GITLAB_CI: "true" })).toBe("GitLab CI job");
  });

  it("CircleCI, Jenkins and Buildkite: their links, else a fallback", () => {
    expect(whoIsRunning({ CIRCLECI: "true", CIRCLE_BUILD_URL: "https://c/1" })).toBe(
      "CircleCI https://c/1",
    );
    expect(whoIsRunning({ CIRCLECI: "true", CIRCLE_JOB: "build" })).toBe("CircleCI build");
    expect(whoIsRunning({ CIRCLECI: "true" })).toBe("CircleCI job");
    expect(whoIsRunning({ JENKINS_URL: "https://j", BUILD_URL: "https://j/b/3" })).toBe(
      "Jenkins https://j/b/3",
    );
    expect(whoIsRunning({ JENKINS_URL: "https://j", JOB_NAME: "deploy" })).toBe("Jenkins deploy");
    expect(whoIsRunning({ JENKINS_URL: "https://j" })).toBe("Jenkins job");
    expect(whoIsRunning({ BUILDKITE: "true", BUILDKITE_BUILD_URL: "https://bk/9" })).toBe(
      "Buildkite https://bk/9",
    );
    expect(whoIsRunning({ BUILDKITE: "true" })).toBe("Buildkite job");
  });

  it("a CI flag set to anything but a true value is not that CI", () => {
    vi.spyOn(os, "hostname").mockReturnValue("box");
    for (const env of [
      { GITHUB_ACTIONS: "false" },
      { GITLAB_CI: "false" },
      { CIRCLECI: "1" },
      { BUILDKITE: "false" },
      { JENKINS_URL: "" },
    ]) {
      expect(whoIsRunning({ ...env, USER: "ann" })).toBe("ann@box");
    }
  });

  it("another CI: the host; CI=false or 0 is no CI", () => {
    vi.spyOn(os, "hostname").mockReturnValue("runner-7");
    expect(whoIsRunning({ CI: "true", USER: "ann" })).toBe("CI on runner-7");
    expect(whoIsRunning({ CI: "false", USER: "ann" })).toBe("ann@runner-7");
    expect(whoIsRunning({ CI: "0", USER: "ann" })).toBe("ann@runner-7");
  });

  it("a person: user@host, from USER, USERNAME, the passwd entry, or unknown", () => {
    vi.spyOn(os, "hostname").mockReturnValue("laptop");
    expect(whoIsRunning({ USER: "ann", USERNAME: "bob" })).toBe("ann@laptop");
    expect(whoIsRunning({ USERNAME: "bob" })).toBe("bob@laptop");
    const info = vi.spyOn(os, "userInfo").mockReturnValue({ username: "carl" } as never);
    expect(whoIsRunning({})).toBe("carl@laptop");
    info.mockImplementation(() => {
      throw new Error("no passwd entry");
    });
    expect(whoIsRunning({})).toBe("unknown@laptop");
  });
});

describe("how long ago", () => {
  const now = Date.parse("2026-01-10T12:00:00Z");
  const ago = (ms: number) => age(new Date(now - ms).toISOString(), now);

  it("seconds up to 89, then minutes up to 89, then hours and minutes, then days", () => {
    expect(ago(0)).toBe("0 s");
    expect(ago(40_000)).toBe("40 s");
    expect(ago(89_000)).toBe("89 s");
    expect(ago(90_000)).toBe("2 min");
    expect(ago(3 * 60_000)).toBe("3 min");
    expect(ago(89 * 60_000)).toBe("89 min");
    expect(ago(90 * 60_000)).toBe("1 h 30 min");
    expect(ago((2 * 60 + 5) * 60_000)).toBe("2 h 5 min");
    expect(ago(47 * 3_600_000 + 59 * 60_000)).toBe("47 h 59 min");
    expect(ago(48 * 3_600_000)).toBe("2 days");
    expect(ago(80 * 3_600_000)).toBe("3 days");
  });

  it("rounds to the nearest second and minute", () => {
    expect(ago(40_600)).toBe("41 s");
    expect(ago(40_400)).toBe("40 s");
    expect(ago(150 * 1000)).toBe("3 min");
  });

  it("a time in the future (clocks apart) is 0 s; an unreadable one is unknown", () => {
    expect(ago(-30_000)).toBe("0 s");
    expect(age("not a date", now)).toBe("unknown time");
  });

  it("without a now: measured from the clock", () => {
    expect(age(new Date(Date.now() - 5_000).toISOString())).toMatch(/^[56] s$/);
  });
});
