/** The options both commands take: where the schemas are, and what exists in the cluster already. */
export interface ValidationArgs {
  /** --schemas DIR. @default - the shipped schemas, or $KUBEVIRT_RUNNERS_SCHEMAS */
  schemas?: string;
  /** Each --external-secret NAME. */
  externalSecrets: string[];
  /** Each --external-volume NAME. */
  externalVolumes: string[];
}

/**
 * Reads `argv` into `args`: the validation options here, a command's own options through `option`
 * (true when it knows `arg`; `value` takes the next argument), anything else that is not an option
 * through `positional`. Throws `help` for --help and -h, and a message for an unknown option or a
 * missing value.
 */
export function parseCommandLine(
  argv: readonly string[], args: ValidationArgs, option: (arg: string, value: () => string) => boolean, positional: (arg: string) => void,
): void {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${arg} needs a value`);
      return argv[++i];
    };
    if (arg === '--schemas') args.schemas = value();
    else if (arg === '--external-secret') args.externalSecrets.push(value());
    else if (arg === '--external-volume') args.externalVolumes.push(value());
    else if (option(arg, value)) continue;
    else if (arg === '--help' || arg === '-h') throw new Error('help');
    else if (arg.startsWith('-')) throw new Error(`unknown option ${arg}`);
    else positional(arg);
  }
}

/** What `parse` reads, or undefined after printing the usage (and what was wrong, unless --help asked for it). */
export function argsOrUsage<A>(parse: () => A, usage: string): A | undefined {
  try {
    return parse();
  } catch (e) {
    console.error((e as Error).message === 'help' ? usage : `${(e as Error).message}\n${usage}`);
    return undefined;
  }
}
