/** Thrown out of a demo step when Ctrl-C or SIGTERM stopped the demo. */
export class DemoAborted extends Error {
  constructor() {
    super('demo interrupted');
  }
}
