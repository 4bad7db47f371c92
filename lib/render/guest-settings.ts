import { shellQuote } from '../private/shell';

// The contract between the library and the registration script in the guest
// (lib/guest/register-runner.sh): the settings file's path, its variables, how values are written
// (single-quoted, so the file only assigns variables whatever they hold) and read back. The
// construct renders it, the validator and the tests parse it, the script sources it; a test checks
// the script against VARIABLES.

/** Where the settings file is written in the guest (root-only). */
export const RUNNER_SETTINGS_PATH = '/etc/actions-runner/runner.env';

/** Everything the registration script needs to know, already validated. */
export interface GuestSettings {
  /** `config.sh --url`. */
  readonly url: string;
  /** `config.sh --labels`, joined with commas. */
  readonly labels: readonly string[];
  /** `config.sh --runnergroup`; '' for the default group. */
  readonly runnerGroup: string;
  /** `config.sh --no-default-labels`. */
  readonly noDefaultLabels: boolean;
  /** `config.sh --ephemeral`. */
  readonly ephemeral: boolean;
  /** `config.sh --disableupdate`. */
  readonly disableUpdate: boolean;
  /** The user the runner runs as. */
  readonly user: string;
  /** Where the runner is installed. */
  readonly runnerDir: string;
  /** `config.sh --work`, relative to runnerDir. */
  readonly workDir: string;
  /** The runner package's URL. */
  readonly downloadUrl: string;
  /** Its SHA-256. */
  readonly sha256: string;
  /** Serial of the token disk. */
  readonly tokenDiskSerial: string;
  /** File (Secret key) on the token disk that holds the token. */
  readonly tokenFileName: string;
  /** Commands that must exist before the runner registers. */
  readonly requiredCommands: readonly string[];
  /** Power the VM off when the runner's service stops (a warm pool's one-job VMs come back clean). */
  readonly powerOffAfterJob: boolean;
  /** The proxy for http:// URLs, for the runner's download and its .env; '' for none. */
  readonly httpProxy: string;
  /** The proxy for https:// URLs; '' for none. */
  readonly httpsProxy: string;
  /** Hosts reached without the proxy, joined with commas. */
  readonly noProxy: readonly string[];
  /** NODE_EXTRA_CA_CERTS in the runner's .env (the trust store's bundle, with the extra CAs); '' for none. */
  readonly nodeExtraCaCerts: string;
}

type Codec = { readonly name: string; readonly required: boolean; encode(value: any): string; decode(text: string): any };
const text = (name: string, required = true): Codec => ({ name, required, encode: String, decode: (t) => t });
const flag = (name: string): Codec => ({ name, required: false, encode: String, decode: (t) => t === 'true' });
const list = (name: string, separator: string): Codec => ({
  name, required: false, encode: (v: readonly string[]) => v.join(separator), decode: (t) => t.split(separator).filter(Boolean),
});

/** Each setting's variable in the file; `required` ones the script refuses to run without. */
export const VARIABLES: Readonly<Record<keyof GuestSettings, Codec>> = Object.freeze({
  url: text('RUNNER_URL'),
  labels: list('RUNNER_LABELS', ','),
  runnerGroup: text('RUNNER_GROUP', false),
  noDefaultLabels: flag('RUNNER_NO_DEFAULT_LABELS'),
  ephemeral: flag('RUNNER_EPHEMERAL'),
  disableUpdate: flag('RUNNER_DISABLE_UPDATE'),
  user: text('RUNNER_USER'),
  runnerDir: text('RUNNER_DIR'),
  workDir: text('RUNNER_WORK_DIR'),
  downloadUrl: text('RUNNER_DOWNLOAD_URL'),
  sha256: text('RUNNER_SHA256'),
  tokenDiskSerial: text('TOKEN_DISK_SERIAL'),
  tokenFileName: text('TOKEN_FILE_NAME'),
  requiredCommands: list('RUNNER_REQUIRED_COMMANDS', ' '),
  powerOffAfterJob: flag('RUNNER_POWER_OFF_AFTER_JOB'),
  httpProxy: text('RUNNER_HTTP_PROXY', false),
  httpsProxy: text('RUNNER_HTTPS_PROXY', false),
  noProxy: list('RUNNER_NO_PROXY', ','),
  nodeExtraCaCerts: text('RUNNER_NODE_EXTRA_CA_CERTS', false),
});

/** The settings file: `NAME='value'` lines in VARIABLES' order. */
export function renderGuestSettings(settings: GuestSettings): string {
  return Object.entries(VARIABLES)
    .map(([key, codec]) => `${codec.name}=${shellQuote(codec.encode(settings[key as keyof GuestSettings]))}\n`)
    .join('');
}

/** Reads a settings file back (only the format renderGuestSettings writes); undefined for a missing variable. */
export function parseGuestSettings(content: string): Partial<GuestSettings> {
  const raw = new Map<string, string>();
  for (const match of content.matchAll(/^([A-Z_][A-Z0-9_]*)='((?:[^']|'\\'')*)'$/gm)) {
    raw.set(match[1], match[2].replace(/'\\''/g, "'"));
  }
  const result: Record<string, unknown> = {};
  for (const [key, codec] of Object.entries(VARIABLES)) {
    if (raw.has(codec.name)) result[key] = codec.decode(raw.get(codec.name)!);
  }
  return result as Partial<GuestSettings>;
}
