/**
 * A reader that goes away (`| head`, a closed pipe or socket) makes writes fail with EPIPE, and
 * an 'error' event nobody handles kills the process: mid-step, with the stack's lock held and
 * the step's result unrecorded. Output is a side show of the work: from the stream's first
 * error on, writes to it are dropped and the work goes on.
 */
export function dropWritesOnceClosed(stream: NodeJS.WriteStream, onClosed?: () => void): void {
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    onClosed?.();
  };
  stream.on("error", close);
  const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
  stream.write = ((...args: unknown[]): boolean => {
    if (!closed) {
      try {
        return write(...args);
      } catch {
        // A file on a full disk fails synchronously.
        close();
      }
    }
    const done = args.find((a) => typeof a === "function") as (() => void) | undefined;
    if (done) process.nextTick(done);
    return true;
  }) as typeof stream.write;
}
