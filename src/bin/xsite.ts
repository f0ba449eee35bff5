/**
 * The `xsite` command. This is the only place that wires concrete drivers (OVS lab, sockets) to controllers.
 */
import { buildProgram } from '../cli/main';

buildProgram()
  .parseAsync(process.argv)
  .catch((e: unknown) => {
    const err = e as { code?: string; message?: string };
    process.stderr.write(`xsite: ${err.code ? `[${err.code}] ` : ''}${err.message ?? String(e)}\n`);
    process.exitCode = 1;
  });
