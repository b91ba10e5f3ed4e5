/**
 * A port whose adapter (and the SDK client it brings) is imported on the port's first call, not when the
 * composition root is: a function that holds a port for a rare path (the executions' reads hold Step
 * Functions and S3, the n8n monitor's reads hold template storage) does not load it on a cold start. In a
 * bundle the adapter sits in a chunk of its own, read only when `load` runs (lib/bundling.ts).
 *
 * Every member of the port must be an async method (a call that may load must be able to wait); `methods`
 * names all of them, and the type checker refuses a list that misses one. A load that fails (a setting
 * missing) is tried again by the next call.
 */
type AsyncPort<T> = { [K in keyof T]: T[K] extends (...args: never[]) => Promise<unknown> ? T[K] : never };

export const lazyPort = <T extends AsyncPort<T>>(load: () => Promise<T>, methods: { [K in keyof T]-?: true }): T => {
  let loaded: Promise<T> | undefined;
  const adapter = (): Promise<T> => {
    if (!loaded) {
      const loading = load();
      loading.catch(() => {
        if (loaded === loading) loaded = undefined;
      });
      loaded = loading;
    }
    return loaded;
  };
  const port: Record<string, unknown> = {};
  for (const name of Object.keys(methods)) {
    port[name] = async (...args: unknown[]) => {
      const target = (await adapter()) as Record<string, (...a: unknown[]) => Promise<unknown>>;
      return target[name]!(...args);
    };
  }
  return port as T;
};
