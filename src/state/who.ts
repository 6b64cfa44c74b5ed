import os from "node:os";

/**
 * Who is running: the CI job when the usual CI variables say so (a link to it where the CI
 * gives one), otherwise user@host. Shown to whoever finds the lock held.
 */
export function whoIsRunning(env: Record<string, string | undefined>): string {
  if (env.GITHUB_ACTIONS === "true") {
    const run = `${env.GITHUB_SERVER_URL ?? "https://github.com"}/${env.GITHUB_REPOSITORY ?? "?"}/actions/runs/${env.GITHUB_RUN_ID ?? "?"}`;
    const job = [env.GITHUB_WORKFLOW, env.GITHUB_JOB].filter(Boolean).join(" / ");
    return `GitHub Actions ${job ? `${job} ` : ""}${run}`;
  }
  if (env.GITLAB_CI === "true") {
    return `GitLab CI job ${env.CI_JOB_NAME ?? ""} ${env.CI_JOB_URL ?? env.CI_JOB_ID ?? ""}`
      .replace(/\s+/g, " ")
      .trim();
  }
  if (env.CIRCLECI === "true") return `CircleCI ${env.CIRCLE_BUILD_URL ?? env.CIRCLE_JOB ?? "job"}`;
  if (env.JENKINS_URL) return `Jenkins ${env.BUILD_URL ?? env.JOB_NAME ?? "job"}`;
  if (env.BUILDKITE === "true") return `Buildkite ${env.BUILDKITE_BUILD_URL ?? "job"}`;
  const host = os.hostname();
  if (env.CI && env.CI !== "false" && env.CI !== "0") return `CI on ${host}`;
  let user = env.USER ?? env.USERNAME;
  try {
    user ??= os.userInfo().username;
  } catch {
    // No passwd entry (some containers).
  }
  return `${user ?? "unknown"}@${host}`;
}

/** "40 s", "3 min", "2 h 5 min", "3 days". */
export function age(sinceIso: string, now = Date.now()): string {
  const ms = now - Date.parse(sinceIso);
  if (!Number.isFinite(ms)) return "unknown time";
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 90) return `${s} s`;
  const min = Math.round(s / 60);
  if (min < 90) return `${min} min`;
  const h = Math.floor(min / 60);
  if (h < 48) return `${h} h ${min % 60} min`;
  return `${Math.floor(h / 24)} days`;
}
