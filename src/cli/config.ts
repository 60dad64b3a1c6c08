/** `signalbox config check FILE`. Placeholder until the config issue lands. */
export async function main(_args: string[]): Promise<number> {
  process.stderr.write("signalbox config: not implemented yet\n");
  return 2;
}
