/**
 * The filter that keeps secrets out of the function's environment (readable by anyone who may
 * read the function's configuration): one table of name patterns and one of value patterns,
 * each with why. The README's posture section lists the same rows (a test keeps them in step).
 * A refusal names the variable and the rule, never the value.
 */

/** A name split into its words: DB_PASS, dbPass and db-pass all give ["DB", "PASS"]. */
export function nameWords(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .split(/[_\-.]+/)
    .filter((w) => w !== "")
    .map((w) => w.toUpperCase());
}

export interface NameRule {
  /** How the README shows it. */
  readonly pattern: string;
  readonly why: string;
  readonly test: (name: string, words: readonly string[]) => boolean;
}

const anyWord =
  (...ws: string[]) =>
  (_: string, words: readonly string[]) =>
    words.some((w) => ws.includes(w));
const inName =
  (...parts: string[]) =>
  (name: string) =>
    parts.some((p) =>
      name
        .toUpperCase()
        .replace(/[_\-.]/g, "")
        .includes(p),
    );

/** Names that say the value is a secret. */
export const SECRET_NAMES: readonly NameRule[] = [
  {
    pattern: "`SECRET`, `PASSWORD`, `PASSWD`, `PASSPHRASE`, `TOKEN`, `CREDENTIAL` anywhere",
    why: "the name says it is a secret",
    test: inName("SECRET", "PASSWORD", "PASSWD", "PASSPHRASE", "TOKEN", "CREDENTIAL"),
  },
  {
    pattern: "`APIKEY`, `PRIVATEKEY`, `ACCESSKEY` anywhere (with or without `_`)",
    why: "keys that sign or authenticate requests",
    test: inName("APIKEY", "PRIVATEKEY", "ACCESSKEY"),
  },
  {
    pattern: "the words `PASS`, `PWD`, `AUTH`, `JWT`, `BEARER`",
    why: "short forms of password and of credentials sent with requests (`DB_PASS`, `PWD`)",
    test: anyWord("PASS", "PWD", "AUTH", "JWT", "BEARER"),
  },
  {
    pattern: "the words `SIGNING`, `HMAC`, `SALT`",
    why: "key material that signs or hashes: whoever has it can forge",
    test: anyWord("SIGNING", "HMAC", "SALT"),
  },
  {
    pattern: "the words `COOKIE`, `SESSION`",
    why: "session and cookie secrets let whoever has them impersonate users",
    test: anyWord("COOKIE", "SESSION"),
  },
  {
    pattern: "the word `DSN`",
    why: "a data source name usually carries the database's user and password",
    test: anyWord("DSN"),
  },
  {
    pattern:
      "`_KEY` at the end (not `PUBLIC_KEY` and the key-attribute names `PARTITION_KEY`, `SORT_KEY`, `HASH_KEY`, `RANGE_KEY`, `PRIMARY_KEY`, `OBJECT_KEY`, `S3_KEY`, `CACHE_KEY`)",
    why: "`STRIPE_KEY`, `SIGNING_KEY`, `SESSION_KEY`: a key at the end of a name is the key itself",
    test: (name, words) =>
      words.length > 0 &&
      words.at(-1) === "KEY" &&
      !NOT_SECRET_KEYS.includes(words.slice(-2).join("_")),
  },
];

/** `…_KEY` names that are not key material: a public key, and names of keys in a store. */
const NOT_SECRET_KEYS = [
  "PUBLIC_KEY",
  "PARTITION_KEY",
  "SORT_KEY",
  "HASH_KEY",
  "RANGE_KEY",
  "PRIMARY_KEY",
  "OBJECT_KEY",
  "S3_KEY",
  "CACHE_KEY",
];

/**
 * Where a secret is, not what it is (`DB_PASSWORD_PARAM`, `STRIPE_KEY_SECRET_ARN`): a
 * secret-looking name with one of these suffixes passes, but only with a value that looks like a
 * reference.
 */
export const REFERENCE_SUFFIXES = ["_PARAM", "_PARAMETER", "_ARN", "_NAME", "_PATH"] as const;

/** What a reference looks like: an ARN, a parameter path, a hierarchical secret name. */
export function looksLikeReference(value: string): boolean {
  return (
    /^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:(\d{12})?:\S+$/.test(value) ||
    /^\/[A-Za-z0-9_.\-/]+$/.test(value) ||
    (/^[A-Za-z0-9_.\-+=@]+(\/[A-Za-z0-9_.\-+=@]+)+$/.test(value) && !highEntropy(value))
  );
}

export interface ValueRule {
  readonly pattern: string;
  readonly why: string;
  /** Whether the value is refused under a name with these words. */
  readonly test: (value: string, name: string, words: readonly string[]) => boolean;
}

/** Words that hint at a secret too weakly to refuse the name, but enough to look at the value. */
const WEAK_HINTS = ["KEY", "KEYS", "SIG", "SIGNATURE", "PRIVATE", "CRED", "CREDS", "SEED", "NONCE"];

/** Query parameters of a URL that carry a credential. */
const CREDENTIAL_QUERY =
  /[?&](password|passwd|pwd|pass|token|access_token|secret|api_key|apikey|key|sig|signature|x-amz-signature|x-amz-credential)=[^&\s]+/i;

/** Values that are secrets, whatever their name. */
export const SECRET_VALUES: readonly ValueRule[] = [
  {
    pattern: "an AWS access key id: `AKIA` or `ASIA` and 16 more capitals or digits",
    why: "long-term (AKIA) or temporary (ASIA) credentials of an IAM principal",
    test: (v) => /(^|[^A-Z0-9])(AKIA|ASIA)[A-Z0-9]{16}([^A-Z0-9]|$)/.test(v),
  },
  {
    pattern:
      "a PEM private key header: `-----BEGIN … PRIVATE KEY-----` (RSA, EC, DSA, OPENSSH, ENCRYPTED, PGP …)",
    why: "a private key; certificates and public keys (`BEGIN CERTIFICATE`, `BEGIN PUBLIC KEY`) pass",
    test: (v) => /-----BEGIN [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----/.test(v),
  },
  {
    pattern: "a URL with a password: `scheme://user:password@host`",
    why: "the password is in the URL (`postgres://u:hunter2@db/x`); `scheme://user@host` passes",
    test: (v) => /[a-z][a-z0-9+.-]*:\/\/[^\s/:@]*:[^\s/@]+@/i.test(v),
  },
  {
    pattern:
      "a URL with a credential in its query: `password=`, `token=`, `secret=`, `key=`, `sig=`, `X-Amz-Signature=` …",
    why: "a pre-signed or token-carrying URL works for whoever has it",
    test: (v) => /^[a-z][a-z0-9+.-]*:\/\//i.test(v) && CREDENTIAL_QUERY.test(v),
  },
  {
    pattern: `a long high-entropy string (20 characters or more of one token, not a UUID, more than 3.5 bits a character, at least two of lower case, upper case and digits) under a name with the word ${WEAK_HINTS.map((w) => `\`${w}\``).join(", ")}`,
    why: "random tokens are what keys and signatures look like; under a name that hints at one, it is one",
    test: (v, _n, words) => words.some((w) => WEAK_HINTS.includes(w)) && highEntropy(v),
  },
];

/** Shannon entropy of the string, bits a character. */
export function entropy(s: string): number {
  const counts = new Map<string, number>();
  for (const c of s) counts.set(c, (counts.get(c) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) {
    const p = n / s.length;
    h -= p * Math.log2(p);
  }
  return h;
}

/** One token of 20+ characters that looks random (base64, hex, url-safe). */
export function highEntropy(v: string): boolean {
  if (!/^[A-Za-z0-9+/=_\-.~]{20,}$/.test(v)) return false;
  // A UUID is an identifier (a KMS key id, a tenant id), not key material.
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(v)) return false;
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/].filter((r) => r.test(v)).length;
  return classes >= 2 && entropy(v) > 3.5;
}

/** Why a variable is refused; undefined when it passes. Never quotes the value. */
export function secretRefusal(name: string, value: string): string | undefined {
  const words = nameWords(name);
  const upper = name.toUpperCase();
  const valueRule = SECRET_VALUES.find((r) => r.test(value, name, words));
  if (valueRule) return `its value looks like ${valueRule.pattern.replace(/`/g, "")}`;
  const suffix = REFERENCE_SUFFIXES.find((s) => upper.endsWith(s));
  const base = suffix ? name.slice(0, -suffix.length) : name;
  const nameRule = SECRET_NAMES.find((r) => r.test(base, nameWords(base)));
  if (!nameRule) return undefined;
  if (suffix === undefined) return "its name looks like a secret's";
  if (looksLikeReference(value)) return undefined;
  return `its name ends in ${suffix} but its value is not a reference (an ARN or a parameter path)`;
}
