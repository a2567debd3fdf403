// Preloaded (node --require) into child processes that zkai spawns, such as the dev chain (`hardhat node`): exits
// the child once its parent is gone, so a parent killed by a signal or a crash never leaves a chain holding a port.
// On Linux and macOS an orphan is re-parented, so a changed ppid means the parent died.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) process.exit(0);
}, 500).unref();
