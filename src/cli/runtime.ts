// certgate runs on Node.js 24, which the project pins (the `node` dev dependency: npm
// scripts and `npx certgate` use it). npm itself may run on an older Node - the engines
// field admits it, for installing - so an older Node running certgate's JavaScript
// directly is told what to do instead of failing somewhere later.

export const RUNTIME_MAJOR = 24;

export function runtimeProblem(version: string): string | undefined {
  const major = Number(version.replace(/^v/, "").split(".")[0]);
  if (major >= RUNTIME_MAJOR) return undefined;
  const how = `run it with npx certgate or npm start, which use the Node ${RUNTIME_MAJOR} the project pins`;
  return `certgate needs Node.js ${RUNTIME_MAJOR} or later, this is ${version}: ${how}`;
}
